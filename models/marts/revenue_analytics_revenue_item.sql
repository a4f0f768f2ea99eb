{{ config(materialized='view') }}
{#
    Managed view (reference product: revenue_analytics_revenue_item): the columns of the reference
    over fct_revenue_items (deferred invoice-line parts, invoiceless charges, and, outside parity
    mode, refunds, credit notes and lost disputes as negative rows).
#}
with

items as (
    select * from {{ ref('fct_revenue_items') }}
),

final as (
    select
        revenue_item_id as id,
        invoice_item_id,
        source_label,
        recognized_at as timestamp,
        created_at,
        is_recurring,
        product_id,
        customer_id,
        invoice_id,
        subscription_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as {{ dbt.type_string() }}) as event_name,
        coupon,
        coupon_id,
        original_currency,
        original_amount,
        true as enable_currency_aware_divider,
        currency_aware_divider,
        currency_aware_amount,
        currency,
        amount
    from items
)

select * from final
