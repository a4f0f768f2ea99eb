{#
    The months whose fct_revenue_items rows changed (DECISIONS.md S8), for the monthly facts that
    rebuild only those months (the readers). An incremental build of fct_revenue_items keeps the
    rows it is about to rebuild (pre-hook), compares them with the rows it wrote (post-hook) and logs
    the months of the rows that differ in a column the readers read, once per reader, in
    `<fct_revenue_items>__changed_months` (reader, month_start, logged_at); a null month means every
    month (first build, full refresh, changed build settings). A reader rebuilds the months logged
    for it and removes them from the log in the same transaction.

    Rows re-synced unchanged (a re-listed invoice, a refund rebuilt every build, an estimated rate
    that did not move) log nothing.
#}

{#
    Whether the engine keeps the log and the readers' kept copies (revenue_monthly_keep_customers): not
    Spark, where every incremental model is rebuilt whole (X2), so no reader needs them (and its parquet
    tables could not delete a reader's months from the log).
#}
{% macro keeps_change_log() -%}
    {{ return(adapter.dispatch('keeps_change_log', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro default__keeps_change_log() -%}
    {{ return(true) }}
{%- endmacro %}


{# The models that read the log: each gets its own copy of every logged month. #}
{% macro revenue_item_change_readers() -%}
    {{ return(['fct_revenue_monthly', 'fct_top_customers_monthly']) }}
{%- endmacro %}


{#
    The columns of fct_revenue_items the readers read: a row that changed in none of them (only in
    its exchange-rate factor, say, or its sync time) changes no reader. A new reader reading another
    column adds it here.
#}
{% macro revenue_item_change_columns() -%}
    {{ return(['source_label', 'recognized_at', 'revenue_type', 'is_gross', 'is_recurring', 'product_id',
               'customer_id', 'coupon_id', 'coupon', 'amount', 'amount_minor']) }}
{%- endmacro %}


{# The log, next to `items` (the fct_revenue_items relation). #}
{% macro revenue_item_changes_relation(items) -%}
    {{ return(items.incorporate(path={'identifier': items.identifier ~ '__changed_months'})) }}
{%- endmacro %}


{# The log exists (pre-hook of fct_revenue_items; `items`: its relation). #}
{% macro revenue_item_changes_create(items) -%}
    create table if not exists {{ revenue_item_changes_relation(items) }} (
        reader {{ dbt.type_string() }}, month_start date, logged_at {{ type_timestamptz() }}
    )
{%- endmacro %}


{#
    Pre-hook of fct_revenue_items, incremental `scope` (revenue_items_rebuild_scope): keep the rows
    about to be rebuilt (with their physical row id where the engine has one, which the delete then
    uses) in a temporary table, for the post-hook to compare with the rows written in their place.
#}
{% macro revenue_items_keep_rebuilt(scope) -%}
    drop table if exists revenue_items_rebuilt_before;
    create temporary table revenue_items_rebuilt_before as
    select {% if physical_row_id() %}{{ physical_row_id() }} as kept_row_id, {% endif -%}
        {{ revenue_item_change_columns() | join(', ') }}
    from {{ this }}
    where {{ revenue_items_rebuilt(scope) }}
{%- endmacro %}


{# The pre-hook kept the rows it rebuilds (revenue_items_keep_rebuilt): an incremental build. #}
{% macro revenue_items_kept_rebuilt() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(temp_table_exists('revenue_items_rebuilt_before')) }}
{%- endmacro %}


{#
    Post-hook of fct_revenue_items: log the months of the rows that changed (every month when the
    build was not incremental). The rows written in place of the kept ones are this build's, found
    by their `built_at` (S11): the latest row groups, so DuckDB skips the rest by their zone maps.
#}
{% macro revenue_items_log_changes() -%}
    {%- if not keeps_change_log() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set readers = revenue_item_change_readers() -%}
    {%- if revenue_items_kept_rebuilt() %}
    insert into {{ revenue_item_changes_relation(this) }} (reader, month_start, logged_at)
    with

    rebuilt_after as (
        select {{ revenue_item_change_columns() | join(', ') }}
        from {{ this }}
        where built_at = {{ built_at() }}
    ),

    rebuilt_before as (
        select {{ revenue_item_change_columns() | join(', ') }} from revenue_items_rebuilt_before
    ),

    differing as (
        (select * from rebuilt_before except all select * from rebuilt_after)
        union all
        (select * from rebuilt_after except all select * from rebuilt_before)
    ),

    months as (
        select distinct {{ month_start('recognized_at') }} as month_start from differing
    )

    select readers.reader, months.month_start, {{ dbt.current_timestamp() }}
    from months
    cross join (
        {%- for reader in readers %}
        select '{{ reader }}' as reader{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as readers;
    drop table revenue_items_rebuilt_before
    {%- else %}
    insert into {{ revenue_item_changes_relation(this) }} (reader, month_start, logged_at)
    {%- for reader in readers %}
    select '{{ reader }}', cast(null as date), {{ dbt.current_timestamp() }}{% if not loop.last %} union all{% endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}


{#
    revenue_months_rebuilt(extra_months_sql): for a reader of the log (this model), the months its
    incremental build rebuilds, as a list of 'YYYY-MM-DD' strings: the months logged for it, and the
    months `extra_months_sql` selects (column month_start; other inputs of the model that changed).
    None when every month is rebuilt: not incremental, or a null month logged.
#}
{% macro revenue_months_rebuilt(extra_months_sql=none) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set log = revenue_item_changes_relation(ref('fct_revenue_items')) -%}
    {%- if load_cached_relation(log) is none and adapter.get_relation(log.database, log.schema, log.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        "select month_start is null as every_month, " ~ date_text('month_start') ~ " as month_text from (select month_start from "
        ~ log ~ " where reader = '" ~ model.name ~ "'"
        ~ (" union select month_start from (" ~ extra_months_sql ~ ") as extra" if extra_months_sql else "")
        ~ ") as months group by month_start order by 2") -%}
    {%- set months = [] -%}
    {%- for row in result.rows -%}
        {%- if row[0] -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do months.append(row[1]) -%}
    {%- endfor -%}
    {{ return(months) }}
{%- endmacro %}


{# SQL: `month_expr` is one of `months` (revenue_months_rebuilt); true for every month when months is none. #}
{% macro in_months(month_expr, months) -%}
    {%- if months is none -%}
        true
    {%- elif months -%}
        {{ month_expr }} in ({% for month in months %}cast('{{ month }}' as date){{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook of a reader: delete the months it rebuilds (nothing on a first build, everything when
    `months` is none) and take its months off the log, in the transaction of its insert.
#}
{% macro revenue_months_delete_rebuilt(months) -%}
    {%- set log = revenue_item_changes_relation(ref('fct_revenue_items')) -%}
    {%- set log_exists = true -%}
    {%- if execute -%}
        {%- set log_exists = relation_exists_now(log) -%}
    {%- endif -%}
    {%- if is_incremental() %}
    delete from {{ this }} where {{ in_months('month_start', months) }};
    {%- endif %}
    {%- if log_exists %}
    delete from {{ log }} where reader = '{{ model.name }}';
    {%- endif %}
    select 'rebuilt months deleted' as revenue_months_delete_rebuilt
{%- endmacro %}


{#
    The months fct_revenue_monthly rebuilds (revenue_months_rebuilt): besides the logged ones, the
    months of the items of customers whose country or cohort differs from the copy kept by the last
    build (every month without that copy), and the months of products whose name changed.
#}
{% macro revenue_monthly_months_rebuilt() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set kept = revenue_monthly_customers_relation() -%}
    {%- if adapter.get_relation(kept.database, kept.schema, kept.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set customers = ref('dim_customers') -%}
    {{ return(revenue_months_rebuilt(
        "select distinct " ~ month_start('items.recognized_at') ~ " as month_start"
        ~ " from " ~ ref('fct_revenue_items') ~ " as items"
        ~ " inner join (select coalesce(latest.source_label, kept.source_label) as source_label,"
        ~ " coalesce(latest.customer_id, kept.customer_id) as customer_id"
        ~ " from " ~ customers ~ " as latest full outer join " ~ kept ~ " as kept"
        ~ " on latest.source_label = kept.source_label and latest.customer_id = kept.customer_id"
        ~ " where latest.country is distinct from kept.country or latest.cohort is distinct from kept.cohort) as changed"
        ~ " on items.source_label = changed.source_label and items.customer_id = changed.customer_id"
        ~ " union all select distinct monthly.month_start from " ~ this ~ " as monthly"
        ~ " left join " ~ ref('dim_products') ~ " as products"
        ~ " on monthly.source_label = products.source_label and monthly.product_id = products.product_id"
        ~ " where monthly.product_id is not null and monthly.product_name is distinct from products.name")) }}
{%- endmacro %}


{# fct_revenue_monthly's copy of the customer attributes it groups by, as of its last build. #}
{% macro revenue_monthly_customers_relation() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__customers'})) }}
{%- endmacro %}


{# Post-hook of fct_revenue_monthly: keep the customer attributes this build grouped by (unless the copy has them). #}
{% macro revenue_monthly_keep_customers() -%}
    {%- if not keeps_change_log() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set kept = revenue_monthly_customers_relation() -%}
    {%- if execute and adapter.get_relation(kept.database, kept.schema, kept.identifier) is not none -%}
        {%- set differing = run_query(
            "select count(*) from (select source_label, customer_id, country, cohort from " ~ ref('dim_customers')
            ~ " except all select source_label, customer_id, country, cohort from " ~ kept ~ ") as added"
            ~ " union all select count(*) from (select source_label, customer_id, country, cohort from " ~ kept
            ~ " except all select source_label, customer_id, country, cohort from " ~ ref('dim_customers') ~ ") as removed") -%}
        {%- if differing.rows[0][0] == 0 and differing.rows[1][0] == 0 -%}
            {#- an empty hook runs no statement -#}
            {{ return('') }}
        {%- endif -%}
    {%- endif -%}
    drop table if exists {{ kept }};
    create table {{ kept }} as
    select source_label, customer_id, country, cohort from {{ ref('dim_customers') }}
{%- endmacro %}


{#
    The months fct_top_customers_monthly rebuilds (revenue_months_rebuilt): besides the logged ones,
    the months listing a customer whose name, email or country changed, every month with more rows
    than var('top_customers_per_month') (it was lowered), and, when it is above the most rows of any
    month, the months with that most (it was raised: they may have been cut).
#}
{% macro top_customers_months_rebuilt() -%}
    {%- set top = top_customers_per_month() -%}
    {{ return(revenue_months_rebuilt(
        "select distinct top.month_start from " ~ this ~ " as top"
        ~ " left join " ~ ref('dim_customers') ~ " as customers"
        ~ " on top.source_label = customers.source_label and top.customer_id = customers.customer_id"
        ~ " where top.customer_name is distinct from customers.name or top.customer_email is distinct from customers.email"
        ~ " or top.customer_country is distinct from customers.country"
        ~ " union all select month_start from (select month_start, count(*) as listed, max(count(*)) over () as most"
        ~ " from " ~ this ~ " group by month_start) as counts"
        ~ " where listed > " ~ top ~ " or (listed = most and most < " ~ top ~ ")")) }}
{%- endmacro %}
