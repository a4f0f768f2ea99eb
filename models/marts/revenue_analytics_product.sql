{{ config(materialized='view') }}
{# Managed view (reference product: revenue_analytics_product), over dim_products. #}
with

products as (
    select * from {{ ref('dim_products') }}
),

final as (
    select
        product_id as id,
        source_label,
        name
    from products
)

select * from final
