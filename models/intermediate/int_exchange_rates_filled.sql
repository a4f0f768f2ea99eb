{#
    D4: one row per day and currency from the currency's first ECB rate to 10 years past today, the
    rate of the latest published day on or before it (weekends, holidays and the future carry the last
    rate forward). EUR is 1 on every day. `fx_factor` = rate(base) / rate(currency), the middle factor
    of the D4 conversion. A currency with no rate has no row: its conversions stay null (visible, and
    the rate test warns), never zero.

    Each published rate is expanded over the days up to the currency's next published rate (no grid
    of every day and currency filled by a window: a third of the time). Incremental all or nothing:
    a build that finds the same published rates, the same last day and the same base currency as the
    table was built with keeps the table (half a million rows) as it is; otherwise it rebuilds it.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    incremental_columns=['rate_date', 'currency', 'rate_per_eur', 'fx_factor', 'is_carried_forward'],
    pre_hook="{{ exchange_rates_delete_if_changed() }}"
) }}
{%- set changed = exchange_rates_changed() %}
with

rates as {{ inlined() }} (
    select * from {{ ref('stg_reference__exchange_rates') }}
),

published as (
    select rate_date, currency, rate_per_eur from rates where currency <> 'EUR'
    union all
    select distinct rate_date, 'EUR' as currency, 1.0 as rate_per_eur from rates
),

bounds as (
    select {{ add_months('greatest(max(rate_date), current_date)', 120) }} as last_date
    from published
),

-- each published rate holds until the day before the currency's next one (the last until last_date)
spans as (
    select
        published.currency,
        published.rate_per_eur,
        published.rate_date as published_date,
        coalesce(
            {{ dbt.dateadd('day', -1, 'lead(published.rate_date) over (partition by published.currency order by published.rate_date)') }},
            bounds.last_date
        ) as span_end,
        max(published.rate_date) over (partition by published.currency) as last_published_date
    from published
    cross join bounds
),

filled as (
    select
        date_day as rate_date,
        currency,
        rate_per_eur,
        published_date,
        last_published_date
    from ({{ day_series('spans', 'published_date', 'span_end') }}) as days
),

base as (
    select rate_date, rate_per_eur as base_rate_per_eur, last_published_date as base_last_published_date
    from filled
    where currency = '{{ base_currency() }}'
),

final as (
    select
        filled.rate_date,
        filled.currency,
        filled.rate_per_eur,
        base.base_rate_per_eur,
        base.base_rate_per_eur / filled.rate_per_eur as fx_factor,
        filled.published_date,
        filled.published_date <> filled.rate_date as is_carried_forward,
        -- after the latest published rate of the currency or the base currency: an estimate that
        -- changes when the ECB publishes (fct_revenue_items reconverts such rows every build)
        filled.rate_date > least(filled.last_published_date, base.base_last_published_date) as is_estimated
    from filled
    inner join base
        on base.rate_date = filled.rate_date
)

select * from final
{%- if not changed %}
where false
{%- endif %}
