{#
    D4: one row per day and currency from the first ECB rate to 10 years past today, the rate of the
    latest published day on or before it (weekends, holidays and the future carry the last rate
    forward). EUR is 1 on every day. `fx_factor` = rate(base) / rate(currency), the middle factor of
    the D4 conversion. A currency with no rate has no row: its conversions stay null (visible, and
    the rate test warns), never zero.
#}
with

rates as (
    select * from {{ ref('stg_reference__exchange_rates') }}
),

published as (
    select rate_date, currency, rate_per_eur from rates where currency <> 'EUR'
    union all
    select distinct rate_date, 'EUR' as currency, 1.0 as rate_per_eur from rates
),

bounds as (
    select
        min(rate_date) as first_date,
        {{ add_months('greatest(max(rate_date), current_date)', 120) }} as last_date
    from published
),

days as (
    {{ day_series('bounds', 'first_date', 'last_date') }}
),

currencies as (
    select currency, min(rate_date) as first_rate_date from published group by currency
),

grid as (
    select
        days.date_day as rate_date,
        currencies.currency,
        published.rate_per_eur,
        published.rate_date as published_date
    from days
    inner join currencies
        on days.date_day >= currencies.first_rate_date
    left join published
        on published.currency = currencies.currency
        and published.rate_date = days.date_day
),

filled as (
    select
        rate_date,
        currency,
        last_value(rate_per_eur ignore nulls) over (
            partition by currency order by rate_date rows between unbounded preceding and current row
        ) as rate_per_eur,
        last_value(published_date ignore nulls) over (
            partition by currency order by rate_date rows between unbounded preceding and current row
        ) as published_date
    from grid
),

base as (
    select rate_date, rate_per_eur as base_rate_per_eur
    from filled
    where currency = '{{ var("base_currency") | upper }}'
),

last_published as (
    select currency, max(rate_date) as last_published_date from published group by currency
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
        filled.rate_date > least(currency_published.last_published_date, base_published.last_published_date)
            as is_estimated
    from filled
    inner join base
        on base.rate_date = filled.rate_date
    inner join last_published as currency_published
        on currency_published.currency = filled.currency
    inner join last_published as base_published
        on base_published.currency = '{{ var("base_currency") | upper }}'
)

select * from final
