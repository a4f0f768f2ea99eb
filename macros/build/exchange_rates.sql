{#
    exchange_rates_changed(): whether int_exchange_rates_filled must be rebuilt: true unless an
    incremental build finds in the table the published rates of stg_reference__exchange_rates (same
    rows and rates, by a sum of hashes), the same last day (10 years past the later of the last rate
    and today) and var('base_currency') as the base (its own factor 1). Read the same way by the
    model and by its pre-hook, before either writes.
#}
{% macro exchange_rates_changed() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set fingerprint = rows_fingerprint(['rate_date', 'currency', 'rate_per_eur']) -%}
    {%- if fingerprint is none -%}
        {#- an engine without a row hash (rows_fingerprint) rebuilds the table every build: correct, slower -#}
        {{ return(true) }}
    {%- endif -%}
    {%- set base = base_currency() -%}
    {%- set rates = ref('stg_reference__exchange_rates') -%}
    {%- set result = run_query(
        "with published as ("
        ~ " select rate_date, currency, rate_per_eur from " ~ rates ~ " where currency <> 'EUR'"
        ~ " union all select distinct rate_date, 'EUR', cast(1.0 as " ~ type_double() ~ ") from " ~ rates ~ "),"
        ~ " source as (select count(*) as published_rows,"
        ~ " " ~ fingerprint ~ " as published_hash,"
        ~ " " ~ add_months('greatest(max(rate_date), current_date)', 120) ~ " as last_date from published),"
        ~ " built as (select count(*) as published_rows,"
        ~ " " ~ fingerprint ~ " as published_hash,"
        ~ " (select max(rate_date) from " ~ this ~ ") as last_date,"
        ~ " (select count(*) from " ~ this ~ " where currency = '" ~ base ~ "') as base_rows,"
        ~ " (select count(*) from " ~ this ~ " where currency = '" ~ base ~ "' and fx_factor <> 1) as base_off"
        ~ " from " ~ this ~ " where not is_carried_forward)"
        ~ " select source.published_rows = built.published_rows and source.published_hash = built.published_hash"
        ~ " and source.last_date = built.last_date and built.base_rows > 0 and built.base_off = 0"
        ~ " from source, built") -%}
    {{ return(not result.rows[0][0]) }}
{%- endmacro %}


{#
    An aggregate expression over the rows of a query: a number that changes when any row's `columns`
    change (a sum of row hashes), or none where the engine has no cheap row hash.
#}
{% macro rows_fingerprint(columns) -%}
    {{ return(adapter.dispatch('rows_fingerprint', 'stripe_revenue')(columns)) }}
{%- endmacro %}

{% macro duckdb__rows_fingerprint(columns) -%}
    {{ return("coalesce(sum(hash(" ~ columns | join(', ') ~ ")), 0)") }}
{%- endmacro %}

{#- the first 60 bits of the md5 of the row's text, summed exactly as numeric -#}
{% macro postgres__rows_fingerprint(columns) -%}
    {{ return("coalesce(sum(cast(cast(cast('x' || substr(md5(cast(row(" ~ columns | join(', ')
              ~ ") as text)), 1, 15) as bit(60)) as bigint) as numeric)), 0)") }}
{%- endmacro %}

{% macro default__rows_fingerprint(columns) -%}
    {{ return(none) }}
{%- endmacro %}


{# Pre-hook of int_exchange_rates_filled: everything goes when it is rebuilt (exchange_rates_changed). #}
{% macro exchange_rates_delete_if_changed() -%}
    {%- if is_incremental() and exchange_rates_changed() -%}
        delete from {{ this }}
    {%- else -%}
        select 'exchange rates unchanged or first build' as exchange_rates_delete_if_changed
    {%- endif -%}
{%- endmacro %}
