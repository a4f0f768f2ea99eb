{#
    One row per product: the Stripe product, or a stub for a product that invoice lines name but
    the product table lacks (is_stub; named after the line description when there is one).
#}
with

products as {{ inlined() }} (
    select * from {{ ref('stg_stripe__products') }}
),

invoice_lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
),

stubs as (
    select
        source_label,
        product_id,
        max(description) as name
    from invoice_lines
    where product_id is not null
        and not exists (
            select 1 from products
            where products.source_label = invoice_lines.source_label
                and products.product_id = invoice_lines.product_id
        )
    group by source_label, product_id
),

final as (
    select
        source_label,
        product_id,
        name,
        description,
        is_active,
        created_at,
        is_deleted,
        false as is_stub
    from products
    union all
    select
        source_label,
        product_id,
        name,
        cast(null as {{ dbt.type_string() }}) as description,
        cast(null as boolean) as is_active,
        cast(null as timestamp) as created_at,
        true as is_deleted,
        true as is_stub
    from stubs
)

select * from final
