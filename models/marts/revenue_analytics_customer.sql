{{ config(materialized='view') }}
{# Managed view (reference product: revenue_analytics_customer), over dim_customers. #}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

final as (
    select
        customer_id as id,
        source_label,
        created_at as timestamp,
        name,
        email,
        phone,
        address,
        metadata,
        country,
        cohort,
        initial_coupon,
        initial_coupon_id
    from customers
)

select * from final
