-- P3: revenue is conserved between customers and groups: for revenue and revenue_last_30_days
-- (minor units, fct_revenue_items up to / in the 30 days ending at the as-of instant) and MRR
-- (revenue_analytics_mrr), the sum over groups_revenue_analytics plus the part of customers without
-- a group (no dim_customer_groups.group_key, or no customer at all) equals the total. Computed from
-- the revenue rows, not from fct_customer_revenue, so a customer counted twice or lost fails.
{{ config(tags=['persons']) }}
with

clock as (
    select max(as_of_at) as as_of_at from {{ ref('int_months_spanned') }}
),

customer_groups as (
    select * from {{ ref('dim_customer_groups') }} where group_key is not null
),

items as (
    select
        items.amount_minor,
        customer_groups.group_key is null as is_unmatched,
        items.recognized_at <= clock.as_of_at as is_to_date,
        items.recognized_at <= clock.as_of_at
            and items.recognized_at > {{ dbt.dateadd('day', -30, 'clock.as_of_at') }} as is_last_30_days
    from {{ ref('fct_revenue_items') }} as items
    cross join clock
    left join customer_groups
        on items.source_label = customer_groups.source_label
        and items.customer_id = customer_groups.customer_id
),

mrr as (
    select
        subscription_mrr.mrr,
        customer_groups.group_key is null as is_unmatched
    from {{ ref('revenue_analytics_mrr') }} as subscription_mrr
    left join customer_groups
        on subscription_mrr.source_label = customer_groups.source_label
        and subscription_mrr.customer_id = customer_groups.customer_id
),

expected as (
    select
        coalesce(sum(case when is_to_date then amount_minor end), 0) as revenue_total,
        coalesce(sum(case when is_to_date and is_unmatched then amount_minor end), 0) as revenue_unmatched,
        coalesce(sum(case when is_last_30_days then amount_minor end), 0) as last_30_days_total,
        coalesce(sum(case when is_last_30_days and is_unmatched then amount_minor end), 0) as last_30_days_unmatched
    from items
),

expected_mrr as (
    select
        coalesce(sum(mrr), 0) as mrr_total,
        coalesce(sum(case when is_unmatched then mrr end), 0) as mrr_unmatched
    from mrr
),

groups_totals as (
    select
        coalesce(sum(revenue_minor), 0) as revenue_groups,
        coalesce(sum(revenue_last_30_days_minor), 0) as last_30_days_groups,
        coalesce(sum(mrr), 0) as mrr_groups
    from {{ ref('groups_revenue_analytics') }}
)

select *
from expected
cross join expected_mrr
cross join groups_totals
where revenue_groups + revenue_unmatched != revenue_total
    or last_30_days_groups + last_30_days_unmatched != last_30_days_total
    or mrr_groups + mrr_unmatched != mrr_total
