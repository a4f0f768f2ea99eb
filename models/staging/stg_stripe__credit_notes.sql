with

source as (
    {{ stripe_source('credit_note') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'invoice': ['invoice.id', 'invoice'],
        'customer': ['customer.id', 'customer'],
        'number': 'number',
        'status': 'status',
        'type': 'type',
        'reason': 'reason',
        'memo': 'memo',
        'currency': 'currency',
        'amount': 'amount',
        'subtotal': 'subtotal',
        'total': 'total',
        'total_excluding_tax': 'total_excluding_tax',
        'discount_amount': 'discount_amount',
        'out_of_band_amount': 'out_of_band_amount',
        'pre_payment_amount': 'pre_payment_amount',
        'post_payment_amount': 'post_payment_amount',
        'legacy_refund': ['refund.id', 'refund'],
        'refunds': 'refunds',
        'effective_at': 'effective_at',
        'voided_at': 'voided_at',
        'metadata': 'metadata',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        extracted.source_label,
        extracted.id as credit_note_id,
        extracted.invoice as invoice_id,
        extracted.customer as customer_id,
        extracted.number,
        extracted.status,
        extracted.status = 'void' as is_void,
        extracted.type as credit_note_type,
        extracted.reason,
        extracted.memo,
        upper(extracted.currency) as currency,
        currency_exponents.exponent as currency_exponent,
        {{ json_integer('extracted.amount') }} as amount,
        {{ json_integer('extracted.subtotal') }} as subtotal,
        {{ json_integer('extracted.total') }} as total,
        {{ json_integer('extracted.total_excluding_tax') }} as total_excluding_tax,
        {{ json_integer('extracted.discount_amount') }} as discount_amount,
        {{ json_integer('extracted.out_of_band_amount') }} as out_of_band_amount,
        {{ json_integer('extracted.pre_payment_amount') }} as pre_payment_amount,
        {{ json_integer('extracted.post_payment_amount') }} as post_payment_amount,
        {{ minor_to_major(json_integer('extracted.total'), 'currency_exponents.exponent') }} as total_major,
        -- current shape: `refunds[].amount_refunded`; legacy: one `refund` id whose amount lives on the
        -- refund object (int_revenue_adjustments_collected reads it there)
        case when extracted.refunds is not null
            then {{ json_array_sum('extracted.refunds', 'amount_refunded') }} end as refunded_amount,
        extracted.legacy_refund as refund_id,
        extracted.refunds as refunds_json,
        extracted.metadata,
        {{ from_unixtime('extracted.effective_at') }} as effective_at,
        {{ from_unixtime('extracted.voided_at') }} as voided_at,
        {{ from_unixtime('extracted.created') }} as created_at,
        -- amounts Stripe never sends (beyond 64 bits, negative where never negative): kept here, left out of revenue (D6)
        {{ rejected_amount_reason({'amount': 'extracted.amount', 'subtotal': 'extracted.subtotal', 'total': 'extracted.total', 'total_excluding_tax': 'extracted.total_excluding_tax', 'discount_amount': 'extracted.discount_amount', 'out_of_band_amount': 'extracted.out_of_band_amount', 'pre_payment_amount': 'extracted.pre_payment_amount', 'post_payment_amount': 'extracted.post_payment_amount'},
                                  non_negative=['amount', 'total', 'discount_amount', 'out_of_band_amount', 'pre_payment_amount', 'post_payment_amount']) }} as rejected_reason,
        {{ stripe_raw_metadata() }}
    from extracted
    left join currency_exponents
        on upper(extracted.currency) = currency_exponents.currency
)

select * from final
