{#
    Incremental, unlike the other staging models (views): the raw JSON of this object is large (an
    invoice is ~2.5 kB with its lines and payments) and several models and data tests read it. It is
    parsed once, and later builds parse only the raw rows synced since (per source label); rows
    gone from the raw table are pruned. A change of this model's logic needs `--full-refresh`.
#}
{{ config(
    materialized='incremental',
    unique_key=['source_label', 'line_id'],
    post_hook="{{ stripe_prune_missing('invoice_line_item', 'line_id') }}"
) }}
with

source as (
    {{ stripe_source('invoice_line_item', incremental_since='synced_at') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'invoice': ['invoice.id', 'invoice'],
        'amount': 'amount',
        'currency': 'currency',
        'description': 'description',
        'discountable': 'discountable',
        'discount_amounts': 'discount_amounts',
        'taxes': 'taxes',
        'legacy_tax_amounts': 'tax_amounts',
        'discounts': 'discounts',
        'period_start': 'period.start',
        'period_end': 'period.end',
        'quantity': 'quantity',
        'metadata': 'metadata',
        'top_subscription': ['subscription.id', 'subscription'],
        'legacy_type': 'type',
        'legacy_proration': 'proration',
        'legacy_subscription_item': ['subscription_item.id', 'subscription_item'],
        'legacy_invoice_item': ['invoice_item.id', 'invoice_item'],
        'legacy_price': ['price.id', 'price'],
        'legacy_price_product': ['price.product.id', 'price.product'],
        'legacy_price_type': 'price.type',
        'legacy_price_interval': 'price.recurring.interval',
        'legacy_price_interval_count': 'price.recurring.interval_count',
        'legacy_price_unit_amount': 'price.unit_amount',
        'legacy_price_usage_type': 'price.recurring.usage_type',
        'legacy_plan': 'plan.id',
        'legacy_plan_product': ['plan.product.id', 'plan.product'],
        'legacy_plan_interval': 'plan.interval',
        'legacy_plan_interval_count': 'plan.interval_count',
        'legacy_plan_amount': 'plan.amount',
        'legacy_plan_usage_type': 'plan.usage_type',
        'parent_type': 'parent.type',
        'sid_subscription': 'parent.subscription_item_details.subscription',
        'sid_subscription_item': 'parent.subscription_item_details.subscription_item',
        'sid_invoice_item': 'parent.subscription_item_details.invoice_item',
        'sid_proration': 'parent.subscription_item_details.proration',
        'iid_subscription': 'parent.invoice_item_details.subscription',
        'iid_invoice_item': 'parent.invoice_item_details.invoice_item',
        'iid_proration': 'parent.invoice_item_details.proration',
        'pricing_price': ['pricing.price_details.price.id', 'pricing.price_details.price'],
        'pricing_product': ['pricing.price_details.product.id', 'pricing.price_details.product'],
        'pricing_unit_amount_decimal': 'pricing.unit_amount_decimal',
    }, keep=stripe_raw_keep()) }}
),

shaped as (
    select
        *,
        -- the polymorphic `parent` (current shape) is read on the branch its `type` names;
        -- the legacy shape says the same with `type` = subscription | invoiceitem
        case
            when parent_type = 'subscription_item_details' then 'subscription'
            when parent_type = 'invoice_item_details' then 'invoiceitem'
            else legacy_type
        end as line_type
    from extracted
),

final as (
    select
        shaped.source_label,
        shaped.id as line_id,
        coalesce(shaped.invoice, shaped.parent_id) as invoice_id,
        shaped.line_type,
        coalesce(
            case
                when shaped.parent_type = 'subscription_item_details' then cast(shaped.sid_proration as boolean)
                when shaped.parent_type = 'invoice_item_details' then cast(shaped.iid_proration as boolean)
            end,
            cast(shaped.legacy_proration as boolean),
            false
        ) as is_proration,
        coalesce(
            case
                when shaped.parent_type = 'subscription_item_details' then shaped.sid_subscription
                when shaped.parent_type = 'invoice_item_details' then shaped.iid_subscription
            end,
            shaped.top_subscription
        ) as subscription_id,
        coalesce(
            case when shaped.parent_type = 'subscription_item_details' then shaped.sid_subscription_item end,
            shaped.legacy_subscription_item
        ) as subscription_item_id,
        coalesce(
            case
                when shaped.parent_type = 'subscription_item_details' then shaped.sid_invoice_item
                when shaped.parent_type = 'invoice_item_details' then shaped.iid_invoice_item
            end,
            shaped.legacy_invoice_item
        ) as invoice_item_id,
        coalesce(shaped.pricing_price, shaped.legacy_price, shaped.legacy_plan) as price_id,
        coalesce(shaped.pricing_product, shaped.legacy_price_product, shaped.legacy_plan_product) as embedded_product_id,
        -- what the line itself says about its price (legacy shape embeds the price; the current one
        -- only names it: the price table completes this in int_invoice_lines_netted)
        case
            when shaped.legacy_price_type is not null then shaped.legacy_price_type = 'recurring'
            when shaped.legacy_price_interval is not null or shaped.legacy_plan_interval is not null then true
        end as embedded_price_is_recurring,
        coalesce(shaped.legacy_price_interval, shaped.legacy_plan_interval) as embedded_price_interval,
        cast(coalesce(shaped.legacy_price_interval_count, shaped.legacy_plan_interval_count) as integer) as embedded_price_interval_count,
        -- licensed | metered (M1: metered usage is not MRR unless mrr_include_metered)
        coalesce(shaped.legacy_price_usage_type, shaped.legacy_plan_usage_type) as embedded_price_usage_type,
        coalesce(
            {{ json_integer('shaped.legacy_price_unit_amount') }},
            {{ json_integer('shaped.legacy_plan_amount') }},
            {{ json_integer(round_half_away('cast(shaped.pricing_unit_amount_decimal as ' ~ type_double() ~ ')')) }}
        ) as embedded_unit_amount,
        shaped.description,
        upper(shaped.currency) as currency,
        currency_exponents.exponent as currency_exponent,
        {{ json_integer('shaped.amount') }} as amount,
        {{ json_array_sum('shaped.discount_amounts', 'amount') }} as discount_amount,
        -- R8: tax included in `amount` (current `taxes[]`, legacy `tax_amounts[]`), never revenue
        coalesce(
            {{ json_array_aggregate_where('shaped.taxes', 'sum', 'amount', 'tax_behavior', 'inclusive') }},
            {{ json_array_aggregate_where('shaped.legacy_tax_amounts', 'sum', 'amount', 'inclusive', 'true') }},
            0
        ) as inclusive_tax_amount,
        coalesce({{ json_array_sum('shaped.taxes', 'amount') }}, 0)
            + coalesce({{ json_array_sum('shaped.legacy_tax_amounts', 'amount') }}, 0) as tax_amount,
        {{ minor_to_major(json_integer('shaped.amount'), 'currency_exponents.exponent') }} as amount_major,
        -- a line that does not say is discountable, as Stripe and the reference product treat it (R2)
        coalesce(cast(shaped.discountable as boolean), true) as is_discountable,
        shaped.discount_amounts as discount_amounts_json,
        shaped.discounts as discounts_json,
        {{ json_integer('shaped.quantity') }} as quantity,
        {{ from_unixtime('shaped.period_start') }} as period_start_at,
        {{ from_unixtime('shaped.period_end') }} as period_end_at,
        shaped.metadata,
        -- D2: for lines, `created` is the parent invoice's
        {{ from_unixtime('shaped.created') }} as created_at,
        -- amounts Stripe never sends (beyond 64 bits, negative where never negative): kept here, left out of revenue (D6)
        {{ rejected_amount_reason({'amount': 'shaped.amount', 'quantity': 'shaped.quantity'},
                                  non_negative=['quantity']) }} as rejected_reason,
        {{ stripe_raw_metadata('shaped') }}
    from shaped
    left join currency_exponents
        on upper(shaped.currency) = currency_exponents.currency
)

select final.*, {{ built_at() }} as built_at from final
