{{ config(tags=['persons']) }}
{#
    P3: revenue per group (var group_type): the sum over the customers mapped to the group
    (dim_customer_groups; every source) of fct_customer_revenue. One row per group with at least one
    customer; group_name from the groups input (null when the key is not in it).
#}
with

customer_groups as (
    select * from {{ ref('dim_customer_groups') }}
    where group_key is not null
),

customer_revenue as (
    select * from {{ ref('fct_customer_revenue') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

totals as (
    select
        customer_groups.group_type,
        customer_groups.group_key,
        max(customer_groups.group_name) as group_name,
        sum(coalesce(customer_revenue.revenue_minor, 0)) as revenue_minor,
        sum(coalesce(customer_revenue.revenue_last_30_days_minor, 0)) as revenue_last_30_days_minor,
        sum(coalesce(customer_revenue.mrr_minor, 0)) as mrr_minor,
        count(*) as customer_count
    from customer_groups
    left join customer_revenue
        on customer_groups.source_label = customer_revenue.source_label
        and customer_groups.customer_id = customer_revenue.customer_id
    group by customer_groups.group_type, customer_groups.group_key
),

final as (
    select
        totals.group_type,
        totals.group_key,
        totals.group_name as name,
        {{ minor_to_major('totals.revenue_minor', 'base.exponent') }} as revenue,
        {{ minor_to_major('totals.revenue_last_30_days_minor', 'base.exponent') }} as revenue_last_30_days,
        {{ minor_to_major('totals.mrr_minor', 'base.exponent') }} as mrr,
        '{{ base_currency() }}' as currency,
        cast(totals.revenue_minor as bigint) as revenue_minor,
        cast(totals.revenue_last_30_days_minor as bigint) as revenue_last_30_days_minor,
        cast(totals.mrr_minor as bigint) as mrr_minor,
        cast(totals.customer_count as integer) as customer_count
    from totals
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base
)

select * from final
