{{ config(materialized='view') }}
{#
    Managed view (reference product: revenue_analytics_subscription). plan_id / product_id are the
    first item's price and product. Canceled subscriptions keep their last synced state: the
    ingestion re-reads them through events (unlike the reference, whose incremental sync goes stale).
#}
with

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

final as (
    select
        subscription_id as id,
        source_label,
        plan_id,
        product_id,
        customer_id,
        status,
        started_at,
        ended_at,
        cast(metadata as {{ type_json_column() }}) as metadata
    from subscriptions
)

select * from final
