{{ config(materialized='view') }}
{#
    Managed view (reference product: revenue_analytics_mrr): MRR now (M1 at the as-of instant: the
    sum of the subscription's line contributions, never below 0) per subscription with MRR > 0,
    converted to the base currency at the as-of date (M2).
#}
with

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
        source_label,
        customer_id,
        subscription_id,
        currency,
        currency_exponent,
        instant_date,
        greatest(sum(mrr), 0) as mrr
    from contributions
    group by source_label, customer_id, subscription_id, currency, currency_exponent, instant_date
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
        select exponent from currency_exponents where currency = '{{ var("base_currency") | upper }}'
    ) as base
    left join exchange_rates
        on exchange_rates.rate_date = subscription_mrr.instant_date
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

select * from final
