{{ config(tags=['persons']) }}
{#
    P3: revenue per product-analytics person: the sum over the customers resolving to the person
    (dim_customer_persons with a person_id; every source) of fct_customer_revenue. One row per person
    with at least one customer. Customers without a person (unmatched, or matched to a distinct id
    missing from the persons input) count for nobody.
#}
with

customer_persons as (
    select * from {{ ref('dim_customer_persons') }}
    where person_id is not null
),

customer_revenue as (
    select * from {{ ref('fct_customer_revenue') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

totals as (
    select
        customer_persons.person_id,
        sum(coalesce(customer_revenue.revenue_minor, 0)) as revenue_minor,
        sum(coalesce(customer_revenue.revenue_last_30_days_minor, 0)) as revenue_last_30_days_minor,
        sum(coalesce(customer_revenue.mrr_minor, 0)) as mrr_minor,
        count(*) as customer_count
    from customer_persons
    left join customer_revenue
        on customer_persons.source_label = customer_revenue.source_label
        and customer_persons.customer_id = customer_revenue.customer_id
    group by customer_persons.person_id
),

final as (
    select
        totals.person_id,
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
