{#
    Incremental helpers (DECISIONS.md S8).

    incremental_watermark(column): the latest `column` (a timestamp with time zone) in this model's
    table, as a SQL literal, read once when the model is compiled for its run, so neither the
    incremental delete nor a hook can move it; '-infinity' on a first or full-refresh build. A
    literal rather than a scalar subquery lets DuckDB skip older row groups by their zone maps.
    `column` must be listed in the model's `incremental_columns` config: a table built before the
    column existed is then rebuilt in full (should_full_refresh, macros/build/rebuild_older_tables.sql)
    instead of failing on the missing column.
#}
{% macro incremental_watermark(column) -%}
    {%- if execute and model.resource_type != 'unit_test' and column not in (config.get('incremental_columns') or []) -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": incremental_watermark('" ~ column ~ "') reads a column that is not in the model's "
            ~ "incremental_columns config; add it there, so that a table built without it is rebuilt in full") }}
    {%- endif -%}
    {%- if execute and is_incremental() -%}
        {%- set missing = incremental_columns_missing() -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built by an older version of this project (no column " ~ missing | join(', ')
                ~ "); run `dbt build --full-refresh -s " ~ model.name ~ "+`") }}
        {%- endif -%}
        {%- set latest = max_timestamp_literal(column, this) -%}
        {%- if latest is not none -%}
            {{ return(latest) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(timestamptz_literal('-infinity')) }}
{%- endmacro %}


{#
    The latest `column` (a timestamp with time zone) of `from_sql` (a relation, with a where clause if
    need be), read now, as a SQL literal; none when no row has one.
#}
{% macro max_timestamp_literal(column, from_sql) -%}
    {%- set result = run_query(
        "select " ~ timestamptz_text_utc("max(" ~ column ~ ")") ~ " from " ~ from_sql) -%}
    {%- set latest = result.rows[0][0] -%}
    {{ return(none if latest is none else timestamptz_literal(latest ~ '+00')) }}
{%- endmacro %}


{# `text` (a timestamp with its offset, or '-infinity') as a timestamp with time zone literal. #}
{% macro timestamptz_literal(text) -%}
    {{ return("cast('" ~ text ~ "' as " ~ type_timestamptz() ~ ")") }}
{%- endmacro %}


{#
    prune_rows_missing_from(upstream_sql, keys, key_rows): post-hook SQL that deletes this table's rows
    whose `keys` are no longer in `upstream_sql` (a select of those key columns). For tables that hold
    every upstream key after their incremental insert, and one row per key (or, with `key_rows`, one
    row per key satisfying that condition, e.g. the first part of a line), equal row counts mean there
    is nothing to prune, so the anti-join over every key runs only when the counts differ.
#}
{% macro prune_rows_missing_from(upstream_sql, keys, key_rows=none) -%}
    {%- if execute -%}
        {%- set counts = run_query("select (select count(*) from " ~ this
                                   ~ (" where " ~ key_rows if key_rows else "") ~ "), (select count(*) from ("
                                   ~ upstream_sql ~ ") as upstream)") -%}
        {%- if counts.rows[0][0] == counts.rows[0][1] -%}
            {#- an empty hook runs no statement -#}
            {{ return('') }}
        {%- endif -%}
    {%- endif -%}
    delete from {{ this }}
    where not exists (
        select 1
        from ({{ upstream_sql }}) as upstream
        where {{ keys_match('upstream', this, keys) }}
    )
{%- endmacro %}


{# `left`.key = `right`.key for every key, joined by and. #}
{% macro keys_match(left, right, keys) -%}
    {% for key in keys %}{{ left }}.{{ key }} = {{ right }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
{%- endmacro %}


{#
    delete_rows_rebuilt(month_floor, changed_sql, keys): pre-hook of the incremental MRR and state
    models: delete the rows their build recomputes, every row from `month_floor` on and every row
    whose `keys` are in `changed_sql`; nothing on a first build.
#}
{% macro delete_rows_rebuilt(month_floor, changed_sql, keys) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where month_start >= {{ month_floor }}
            or exists (
                select 1
                from ({{ changed_sql }}) as changed
                where {{ keys_match('changed', this, keys) }}
            )
    {%- endif -%}
{%- endmacro %}


{# The var settings MRR rows depend on as a whole (M1); a change recomputes every month. #}
{% macro mrr_build_settings() -%}
    mrr_discounts={{ mrr_discounts() }};mrr_churn_at={{ mrr_churn_at() }};mrr_include_metered={{ mrr_include_metered() }}
{%- endmacro %}


{#
    mrr_month_floor(previous_as_of_month_sql, settings_checked): the first month an incremental MRR
    build recomputes for every customer, as a SQL date literal: one month before the earlier of the
    as-of month of the previous build (`previous_as_of_month_sql`, read from this table) and of this
    build (the as-of instant moves every build, so that month changes for everyone; the month before
    it is redone too, for a month-end exchange rate published after the previous build). Earlier
    months are recomputed only for what changed. With `settings_checked`, the beginning of time when
    this table's rows were built with other MRR settings (mrr_build_settings).
#}
{% macro mrr_month_floor(previous_as_of_month_sql, settings_checked=false) -%}
    {%- if execute and is_incremental() -%}
        {%- if settings_checked -%}
            {%- set other = run_query("select count(*) from (select 1 from " ~ this ~ " where mrr_settings <> '"
                                      ~ mrr_build_settings() ~ "' limit 1) as other_settings") -%}
            {%- if other.rows[0][0] > 0 -%}
                {{ return("cast('0001-01-01' as date)") }}
            {%- endif -%}
        {%- endif -%}
        {%- set result = run_query(
            "select " ~ date_text(add_months("least((" ~ previous_as_of_month_sql ~ "), (select max(month_start) from "
            ~ ref('int_months_spanned') ~ " where is_as_of_month))", -1))) -%}
        {%- set floor = result.rows[0][0] -%}
        {%- if floor is not none -%}
            {{ return("cast('" ~ floor ~ "' as date)") }}
        {%- endif -%}
    {%- endif -%}
    {{ return("cast('0001-01-01' as date)") }}
{%- endmacro %}


{# Pre-hook of int_mrr_contributions_computed: the rows its incremental build recomputes. #}
{% macro mrr_contributions_delete_rebuilt() -%}
    {{ return(delete_rows_rebuilt(
        mrr_month_floor('select max(month_start) from ' ~ this ~ ' where is_as_of_month', settings_checked=true),
        'select source_label, line_id from ' ~ ref('int_invoice_lines_netted')
            ~ ' where inputs_synced_at > ' ~ incremental_watermark('inputs_synced_at'),
        ['source_label', 'line_id'])) }}
{%- endmacro %}


{#
    The floor month of fct_mrr_movements (mrr_month_floor), or the beginning of time when
    var('base_currency') changed since the rows were built (every amount changes then).
#}
{% macro mrr_movements_month_floor() -%}
    {%- if execute and is_incremental() -%}
        {%- set other_base = run_query("select count(*) from (select 1 from " ~ this ~ " where currency <> '"
                                       ~ base_currency() ~ "' limit 1) as other_base") -%}
        {%- if other_base.rows[0][0] > 0 -%}
            {{ return("cast('0001-01-01' as date)") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(mrr_month_floor('select max(month_start) from ' ~ this, settings_checked=true)) }}
{%- endmacro %}


{# The customers whose MRR an incremental build of fct_mrr_movements recomputes in every month. #}
{% macro mrr_movements_changed_customers() -%}
    select distinct source_label, customer_id
    from {{ ref('int_invoice_lines_netted') }}
    where inputs_synced_at > {{ incremental_watermark('synced_at') }}
        and customer_id is not null
{%- endmacro %}


{# Pre-hook of fct_mrr_movements: the rows its incremental build recomputes. #}
{% macro mrr_movements_delete_rebuilt() -%}
    {{ return(delete_rows_rebuilt(mrr_movements_month_floor(), mrr_movements_changed_customers(),
                                  ['source_label', 'customer_id'])) }}
{%- endmacro %}


{# The var settings fct_revenue_items rows depend on as a whole; a change rebuilds every row. #}
{% macro revenue_items_build_settings() -%}
    deferral={{ deferral_mode() }};revenue_basis={{ revenue_basis() }};won_disputes={{ won_disputes() }};reference_parity={{ var('reference_parity', false) }};include_invoiceless_charges={{ var('include_invoiceless_charges') }};base_currency={{ base_currency() }}
{%- endmacro %}


{#
    What an incremental build of fct_revenue_items rebuilds, read from its table before anything is
    deleted: `since`, the watermark of the lines and charges; `fx_floors`, per currency, the first
    date converted at an estimated (or missing) rate. `incremental` is false on a first build and
    when the build settings changed (then everything is rebuilt).
#}
{% macro revenue_items_rebuild_scope() -%}
    {%- set scope = {'incremental': false, 'since': none, 'fx_floors': {}} -%}
    {%- if execute and is_incremental() -%}
        {%- set changed = run_query("select count(*) from (select 1 from " ~ this ~ " where build_settings <> '"
                                    ~ revenue_items_build_settings() ~ "' limit 1) as other_settings") -%}
        {%- if changed.rows[0][0] == 0 -%}
            {%- do scope.update({'incremental': true, 'since': incremental_watermark('synced_at')}) -%}
            {%- set floors = run_query("select original_currency, " ~ date_text("min(cast(recognized_at as date))") ~ " from "
                                       ~ this ~ " where is_fx_estimated group by original_currency") -%}
            {%- for row in floors.rows -%}
                {%- do scope.fx_floors.update({row[0]: row[1]}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(scope) }}
{%- endmacro %}


{#
    True for a row dated on or after its currency's estimated-rate floor (revenue_items_rebuild_scope);
    without a currency expression, on or after the earliest floor of any currency.
#}
{% macro revenue_items_fx_rebuilt(scope, currency_expr, date_expr) -%}
    {%- if scope.fx_floors and currency_expr is none -%}
        {{ date_expr }} >= cast('{{ scope.fx_floors.values() | min }}' as date)
    {%- elif scope.fx_floors -%}
        coalesce({{ date_expr }} >= case {{ currency_expr }}
            {%- for currency, floor in scope.fx_floors.items() %}
            when '{{ currency }}' then cast('{{ floor }}' as date)
            {%- endfor %}
        end, false)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{# SQL: true for the rows an incremental build of fct_revenue_items rebuilds within `scope` (revenue_items_rebuild_scope). #}
{% macro revenue_items_rebuilt(scope) -%}
    revenue_type not in ('invoice_line', 'charge')
            or is_reversed
            or {{ revenue_items_fx_rebuilt(scope, 'original_currency', 'cast(recognized_at as date)') }}
            {%- if not var('reference_parity', false) %}
            -- the lines of invoices a reversal touches now (R10): their parts come from int_revenue_reversed
            or (revenue_type = 'invoice_line' and exists (
                select 1 from {{ ref('int_revenue_reversed') }} as reversed
                where reversed.subject_type = 'invoice'
                    and reversed.source_label = {{ this }}.source_label
                    and reversed.subject_id = {{ this }}.invoice_id))
            {%- endif %}
            or (revenue_type = 'invoice_line' and exists (
                select 1 from {{ ref('int_invoice_lines_netted') }} as lines
                where lines.inputs_synced_at > {{ scope.since }}
                    and lines.source_label = {{ this }}.source_label
                    and lines.line_id = {{ this }}.invoice_item_id))
            or (revenue_type = 'charge' and exists (
                select 1 from {{ ref('int_charges_linked') }} as charges
                where charges.inputs_synced_at > {{ scope.since }}
                    and charges.source_label = {{ this }}.source_label
                    and charges.charge_id = {{ this }}.charge_id))
{%- endmacro %}


{#
    Pre-hook of fct_revenue_items: delete the rows its incremental build rebuilds (all of them when
    settings changed), first keeping them for the change log (revenue_items_keep_rebuilt).
#}
{% macro revenue_items_delete_rebuilt() -%}
    {%- if keeps_change_log() %}
    {{ revenue_item_changes_create(this) }};
    {%- endif %}
    {%- if is_incremental() %}
        {%- set scope = revenue_items_rebuild_scope() %}
        {%- if scope.incremental %}
    {{ revenue_items_keep_rebuilt(scope) }};
            {%- if physical_row_id() %}
    delete from {{ this }} where {{ physical_row_id() }} in (select kept_row_id from revenue_items_rebuilt_before)
            {%- else %}
    delete from {{ this }} where {{ revenue_items_rebuilt(scope) }}
            {%- endif %}
        {%- else %}
    delete from {{ this }}
        {%- endif %}
    {%- endif %}
{%- endmacro %}


{# Pre-hook of int_subscription_states_monthly: the rows its incremental build recomputes. #}
{% macro subscription_states_delete_rebuilt() -%}
    {{ return(delete_rows_rebuilt(
        mrr_month_floor('select max(month_start) from ' ~ this),
        'select source_label, subscription_id from ' ~ ref('stg_stripe__subscriptions')
            ~ ' where synced_at > ' ~ incremental_watermark('synced_at'),
        ['source_label', 'subscription_id'])) }}
{%- endmacro %}
