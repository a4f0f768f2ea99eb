{{ config(materialized='view') }}
{#
    Managed view (reference product: revenue_analytics_mrr): MRR now, per subscription.

    By default it is M1 at the as-of instant: the as-of month's line contributions
    (int_mrr_contributions_computed, the same rules as the month-end MRR of fct_mrr_movements:
    coupons in force, metered prices, unpaid, tax, cancellation timing), summed per subscription,
    never below 0, converted to the base currency at the as-of date (M2, D4); subscriptions with
    MRR > 0. The view and the as-of month of the bridge agree to the cent.

    With var reference_parity, the reference product's own definition (docs/sources/
    mrr_definitions.md, MRR-PH-VIEW): per subscription, the recurring revenue items of the latest
    month in the window [start of the month of as-of - 60 days, as-of], summed per month, or 0 when
    the subscription ended after that month (its ended_at counts as a 0-amount row), base currency.
#}
{%- set parity = var('reference_parity', false) %}
-- both definitions' inputs, so that either builds after them (and its unit tests find their columns)
-- depends_on: {{ ref('fct_revenue_items') }}, {{ ref('stg_stripe__subscriptions') }}, {{ ref('int_mrr_contributions_computed') }}
with

clock as (
    select distinct as_of_at from {{ ref('int_months_spanned') }}
),

{% if parity %}
items as (
    select * from {{ ref('fct_revenue_items') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

window_start as (
    select {{ month_start(dbt.dateadd('day', -60, 'as_of_at')) }} as starts_at, as_of_at from clock
),

monthly_amounts as (
    select
        items.source_label,
        items.customer_id,
        items.subscription_id,
        {{ month_start('items.recognized_at') }} as observed_at,
        0 as row_order,
        sum(items.amount) as amount
    from items
    cross join window_start
    where items.is_recurring
        and items.recognized_at >= window_start.starts_at
        and items.recognized_at <= window_start.as_of_at
    group by 1, 2, 3, 4
),

-- an ended subscription counts as a 0-amount row at its end, so its MRR drops to 0
endings as (
    select
        subscriptions.source_label,
        subscriptions.customer_id,
        subscriptions.subscription_id,
        subscriptions.ended_at as observed_at,
        1 as row_order,
        0 as amount
    from subscriptions
    cross join window_start
    where subscriptions.ended_at >= window_start.starts_at
        and subscriptions.ended_at <= window_start.as_of_at
),

observations as (
    select * from monthly_amounts
    union all
    select * from endings
),

ranked as (
    select
        *,
        row_number() over (
            partition by source_label, customer_id, subscription_id
            order by observed_at desc, row_order desc
        ) as recency_rank
    from observations
),

final as (
    select
        source_label,
        customer_id,
        subscription_id,
        cast(amount as {{ money_type() }}) as mrr
    from ranked
    where recency_rank = 1
)
{% else %}
contributions as (
    select * from {{ ref('int_mrr_contributions_computed') }}
    where is_as_of_month
),

exchange_rates as (
    select * from {{ ref('int_exchange_rates_filled') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

subscription_mrr as (
    select
        contributions.source_label,
        contributions.customer_id,
        contributions.subscription_id,
        contributions.currency,
        max(contributions.currency_exponent) as currency_exponent,
        cast(clock.as_of_at as date) as as_of_date,
        -- a credit never makes MRR negative
        greatest(sum(contributions.mrr), 0) as mrr
    from contributions
    cross join clock
    group by contributions.source_label, contributions.customer_id, contributions.subscription_id,
        contributions.currency, cast(clock.as_of_at as date)
),

converted as (
    select
        subscription_mrr.source_label,
        subscription_mrr.customer_id,
        subscription_mrr.subscription_id,
        sum({{ convert_minor('subscription_mrr.mrr', 'subscription_mrr.currency', 'subscription_mrr.currency_exponent',
                             'exchange_rates.fx_factor', 'base.exponent') }}) as mrr_minor,
        max(base.exponent) as base_exponent
    from subscription_mrr
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base
    left join exchange_rates
        on exchange_rates.rate_date = subscription_mrr.as_of_date
        and exchange_rates.currency = subscription_mrr.currency
    where subscription_mrr.mrr > 0
    group by subscription_mrr.source_label, subscription_mrr.customer_id, subscription_mrr.subscription_id
),

final as (
    select
        source_label,
        customer_id,
        subscription_id,
        {{ minor_to_major('mrr_minor', 'base_exponent') }} as mrr
    from converted
)
{% endif %}

select * from final
