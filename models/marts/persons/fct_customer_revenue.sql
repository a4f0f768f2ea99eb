{{ config(tags=['persons']) }}
{#
    P3 revenue per customer, base currency, at the as-of instant (int_months_spanned.as_of_at: var
    as_of, else the latest invoice, charge or event `created`, the instant MRR is measured at):
      revenue               net revenue (fct_revenue_items: gross rows and refund, credit note and
                            dispute rows, R1-R9) recognised up to the as-of instant; deferred parts
                            dated later are not revenue yet
      revenue_last_30_days  the same for as_of_at - 30 days < recognized_at <= as_of_at
      mrr                   MRR now (revenue_analytics_mrr, M1/M2), summed over the subscriptions
    Minor units (integers) beside major units. Revenue rows without a customer are left out (they
    belong to no person or group: the "unmatched" part of the conservation tests).
#}
with

items as (
    select * from {{ ref('fct_revenue_items') }}
),

subscription_mrr as (
    select * from {{ ref('revenue_analytics_mrr') }}
),

months as (
    select * from {{ ref('int_months_spanned') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

clock as (
    select max(as_of_at) as as_of_at from months
),

base as (
    select exponent from currency_exponents where currency = '{{ base_currency() }}'
),

item_totals as (
    select
        items.source_label,
        items.customer_id,
        sum(case when items.recognized_at <= clock.as_of_at then items.amount_minor else 0 end) as revenue_minor,
        sum(
            case
                when items.recognized_at <= clock.as_of_at
                    and items.recognized_at > {{ dbt.dateadd('day', -30, 'clock.as_of_at') }}
                    then items.amount_minor
                else 0
            end
        ) as revenue_last_30_days_minor
    from items
    cross join clock
    where items.customer_id is not null
    group by items.source_label, items.customer_id
),

mrr_totals as (
    select
        subscription_mrr.source_label,
        subscription_mrr.customer_id,
        cast(sum(subscription_mrr.mrr) * cast(power(10, max(base.exponent)) as bigint) as bigint) as mrr_minor
    from subscription_mrr
    cross join base
    where subscription_mrr.customer_id is not null
    group by subscription_mrr.source_label, subscription_mrr.customer_id
),

customer_keys as (
    select source_label, customer_id from item_totals
    union
    select source_label, customer_id from mrr_totals
),

final as (
    select
        customer_keys.source_label,
        customer_keys.customer_id,
        '{{ base_currency() }}' as currency,
        cast(coalesce(item_totals.revenue_minor, 0) as bigint) as revenue_minor,
        cast(coalesce(item_totals.revenue_last_30_days_minor, 0) as bigint) as revenue_last_30_days_minor,
        cast(coalesce(mrr_totals.mrr_minor, 0) as bigint) as mrr_minor,
        {{ minor_to_major('coalesce(item_totals.revenue_minor, 0)', 'base.exponent') }} as revenue,
        {{ minor_to_major('coalesce(item_totals.revenue_last_30_days_minor, 0)', 'base.exponent') }} as revenue_last_30_days,
        {{ minor_to_major('coalesce(mrr_totals.mrr_minor, 0)', 'base.exponent') }} as mrr,
        clock.as_of_at
    from customer_keys
    cross join clock
    cross join base
    left join item_totals
        on customer_keys.source_label = item_totals.source_label
        and customer_keys.customer_id = item_totals.customer_id
    left join mrr_totals
        on customer_keys.source_label = mrr_totals.source_label
        and customer_keys.customer_id = mrr_totals.customer_id
)

select * from final
