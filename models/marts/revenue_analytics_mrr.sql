{{ config(materialized='view') }}
{#
    Managed view (reference product: revenue_analytics_mrr): MRR now, per subscription with MRR > 0.
    M1 reads current MRR from the subscription items as they are now (month-end MRR comes from the
    invoice lines, fct_mrr_movements): each item of a subscription that has started, has not ended
    and is not trialing at the as-of instant contributes
    round_half_away(unit_amount x quantity x (100 - percent_off) / (100 x interval_months)), with the
    subscription coupon's percent_off; the sum, never below 0, is converted to the base currency at
    the as-of date (M2, D4).
#}
with

items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
    where not is_deleted
        and rejected_reason is null  -- D6
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

clock as (
    select distinct as_of_at from {{ ref('int_months_spanned') }}
),

discounts as (
    select * from {{ ref('int_discounts_collected') }}
),

exchange_rates as (
    select * from {{ ref('int_exchange_rates_filled') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

subscription_coupons as (
    select
        source_label,
        subscription_id,
        percent_off,
        row_number() over (
            partition by source_label, subscription_id order by start_at desc nulls last, discount_id desc
        ) as coupon_rank
    from discounts
    where subscription_id is not null
        and percent_off is not null
),

live_items as (
    select
        subscriptions.source_label,
        subscriptions.customer_id,
        subscriptions.subscription_id,
        coalesce(items.currency, subscriptions.currency) as currency,
        items.currency_exponent,
        items.unit_amount,
        items.quantity,
        coalesce(subscription_coupons.percent_off, 0) as percent_off,
        case items.recurring_interval
            when 'month' then items.recurring_interval_count
            when 'year' then 12 * items.recurring_interval_count
        end as interval_months,
        cast(clock.as_of_at as date) as as_of_date
    from items
    inner join subscriptions
        on items.source_label = subscriptions.source_label
        and items.subscription_id = subscriptions.subscription_id
    cross join clock
    left join subscription_coupons
        on subscriptions.source_label = subscription_coupons.source_label
        and subscriptions.subscription_id = subscription_coupons.subscription_id
        and subscription_coupons.coupon_rank = 1
    where subscriptions.status not in ('incomplete', 'incomplete_expired')
        and subscriptions.started_at <= clock.as_of_at
        and (subscriptions.ended_at is null or subscriptions.ended_at > clock.as_of_at)
        and (subscriptions.trial_end_at is null or subscriptions.trial_end_at <= clock.as_of_at)
),

subscription_mrr as (
    select
        source_label,
        customer_id,
        subscription_id,
        currency,
        max(currency_exponent) as currency_exponent,
        as_of_date,
        -- a credit never makes MRR negative
        greatest(sum(cast({{ round_half_away(
            'cast(unit_amount * quantity as double) * (100 - percent_off) / (100 * interval_months)') }} as bigint)), 0)
            as mrr
    from live_items
    where interval_months > 0
    group by source_label, customer_id, subscription_id, currency, as_of_date
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

select * from final
