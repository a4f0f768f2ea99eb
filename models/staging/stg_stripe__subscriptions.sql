{#
    An incremental table, not a view (S1): read by several models and tests in every build; its JSON
    is parsed once, and later builds parse only the raw rows synced since (as stg_stripe__invoices).
    A change of this model's logic needs `--full-refresh`.
#}
{{ config(
    materialized='incremental',
    unique_key=['source_label', 'subscription_id'],
    post_hook="{{ stripe_prune_missing('subscription', 'subscription_id') }}"
) }}
with

source as (
    {{ stripe_source('subscription', incremental_since='synced_at') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'customer': ['customer.id', 'customer'],
        'status': 'status',
        'currency': 'currency',
        'collection_method': 'collection_method',
        'start_date': 'start_date',
        'billing_cycle_anchor': 'billing_cycle_anchor',
        'ended_at': 'ended_at',
        'canceled_at': 'canceled_at',
        'cancel_at': 'cancel_at',
        'cancel_at_period_end': 'cancel_at_period_end',
        'cancellation_reason': 'cancellation_details.reason',
        'trial_start': 'trial_start',
        'trial_end': 'trial_end',
        'legacy_current_period_start': 'current_period_start',
        'legacy_current_period_end': 'current_period_end',
        'item_current_period_start': 'items.data.0.current_period_start',
        'item_current_period_end': 'items.data.0.current_period_end',
        'first_price': ['items.data.0.price.id', 'items.data.0.price'],
        'first_price_product': ['items.data.0.price.product.id', 'items.data.0.price.product'],
        'first_plan': 'items.data.0.plan.id',
        'first_plan_product': ['items.data.0.plan.product.id', 'items.data.0.plan.product'],
        'item_count': 'items.total_count',
        'latest_invoice': ['latest_invoice.id', 'latest_invoice'],
        'legacy_discount': 'discount',
        'discounts': 'discounts',
        'metadata': 'metadata',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        source_label,
        id as subscription_id,
        customer as customer_id,
        status,
        upper(currency) as currency,
        collection_method,
        -- the first item's price is the subscription's plan (reference product: plan_id, product_id)
        coalesce(first_price, first_plan) as plan_id,
        coalesce(first_price_product, first_plan_product) as product_id,
        {{ from_unixtime('start_date') }} as started_at,
        {{ from_unixtime('billing_cycle_anchor') }} as billing_cycle_anchor_at,
        {{ from_unixtime('ended_at') }} as ended_at,
        {{ from_unixtime('canceled_at') }} as canceled_at,
        {{ from_unixtime('cancel_at') }} as cancel_at,
        coalesce(cast(cancel_at_period_end as boolean), false) as cancel_at_period_end,
        cancellation_reason,
        {{ from_unixtime('trial_start') }} as trial_start_at,
        {{ from_unixtime('trial_end') }} as trial_end_at,
        -- legacy: on the subscription; current (2025-03-31.basil+): on each item
        {{ from_unixtime('coalesce(legacy_current_period_start, item_current_period_start)') }} as current_period_start_at,
        {{ from_unixtime('coalesce(legacy_current_period_end, item_current_period_end)') }} as current_period_end_at,
        latest_invoice as latest_invoice_id,
        legacy_discount as discount_json,
        discounts as discounts_json,
        metadata,
        {{ from_unixtime('created') }} as created_at,
        {{ stripe_raw_metadata() }}
    from extracted
)

select final.*, {{ built_at() }} as built_at from final
