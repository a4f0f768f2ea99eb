{#
    Stripe has no discount list endpoint: discount objects (and their coupons) arrive embedded in
    invoices (`discounts`, legacy `discount`), subscriptions (same) and invoice lines (`discounts`
    when expanded; unexpanded ones are ids). One row per discount id with what the most complete copy says.
    Legacy shape: `discount.coupon` is the coupon object; current shape: `discount.source.coupon`
    (an id, or the object when expanded).
#}
with

invoices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoices') }}
),

subscriptions as {{ inlined() }} (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

lines as (
    select * from {{ ref('stg_stripe__invoice_line_items') }}
),

embedded as (
    select source_label, invoice_id, null as subscription_id, discount_json as discount
    from invoices
    where discount_json is not null
    union all
    select source_label, invoice_id, null as subscription_id, element as discount
    from (
        select source_label, invoice_id, {{ json_array_unnest('discounts_json') }}
        from invoices
        where discounts_json is not null and discounts_json <> '[]'
    ) as invoice_discounts
    union all
    select source_label, null as invoice_id, subscription_id, discount_json as discount
    from subscriptions
    where discount_json is not null
    union all
    select source_label, null as invoice_id, subscription_id, element as discount
    from (
        select source_label, subscription_id, {{ json_array_unnest('discounts_json') }}
        from subscriptions
        where discounts_json is not null and discounts_json <> '[]'
    ) as subscription_discounts
    union all
    select source_label, invoice_id, subscription_id, element as discount
    from (
        select source_label, invoice_id, subscription_id, {{ json_array_unnest('discounts_json') }}
        from lines
        -- only expanded discounts carry more than an id
        where discounts_json like {{ "'%{%'" }}
    ) as line_discounts
),

extracted as (
    {{ json_extract_fields('embedded', 'discount', {
        'discount_id': 'id',
        'coupon_id': ['source.coupon.id', 'source.coupon', 'coupon.id'],
        'coupon_name': ['source.coupon.name', 'coupon.name'],
        'percent_off': ['source.coupon.percent_off', 'coupon.percent_off'],
        'amount_off': ['source.coupon.amount_off', 'coupon.amount_off'],
        'coupon_currency': ['source.coupon.currency', 'coupon.currency'],
        'duration': ['source.coupon.duration', 'coupon.duration'],
        'discount_subscription': ['subscription.id', 'subscription'],
        'discount_customer': ['customer.id', 'customer'],
        'discount_invoice': ['invoice.id', 'invoice'],
        'discount_start': 'start',
        'discount_end': 'end',
    }, keep=['source_label', 'invoice_id', 'subscription_id']) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by source_label, discount_id
            order by
                cast(coupon_name is not null as integer) + cast(percent_off is not null or amount_off is not null as integer) desc,
                cast(discount_subscription is not null as integer) desc
        ) as completeness_rank
    from extracted
    -- string elements (ids of unexpanded discounts) carry nothing but the id
    where discount_id is not null
),

final as (
    select
        source_label,
        discount_id,
        coupon_id,
        coalesce(coupon_name, coupon_id) as coupon_name,
        cast(percent_off as {{ type_double() }}) as percent_off,
        cast(amount_off as bigint) as amount_off,
        upper(coupon_currency) as coupon_currency,
        duration,
        coalesce(discount_subscription, subscription_id) as subscription_id,
        discount_customer as customer_id,
        coalesce(discount_invoice, invoice_id) as invoice_id,
        discount_subscription is not null or subscription_id is not null as is_subscription_discount,
        {{ from_unixtime('discount_start') }} as start_at,
        {{ from_unixtime('discount_end') }} as end_at
    from ranked
    where completeness_rank = 1
)

select * from final
