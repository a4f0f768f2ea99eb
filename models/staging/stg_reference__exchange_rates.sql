{#- reference.exchange_rate is written by the ingestion; without it only base-currency amounts convert -#}
{%- set rates = source('reference', 'exchange_rate') -%}
{%- set exists = true -%}
{%- if execute -%}
    {%- set exists = adapter.get_relation(database=rates.database, schema=rates.schema, identifier=rates.identifier) is not none -%}
    {%- if not exists -%}
        {%- do log("stg_reference__exchange_rates: " ~ rates ~ " not found: amounts in other currencies than "
                   ~ base_currency() ~ " will have no rate (see the rate test)", info=true) -%}
    {%- endif -%}
{%- endif -%}

with

source as (
    {% if exists -%}
    select * from {{ rates }}
    {%- else -%}
    select cast(null as date) as date, cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ type_double() }}) as rate
    where 1 = 0
    {%- endif %}
),

final as (
    select
        cast(date as date) as rate_date,
        upper(currency) as currency,
        cast(rate as {{ type_double() }}) as rate_per_eur
    from source
    where rate is not null
)

select * from final
