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
        cast(extracted.amount as bigint) as amount,
        cast(extracted.subtotal as bigint) as subtotal,
        cast(extracted.total as bigint) as total,
        cast(extracted.total_excluding_tax as bigint) as total_excluding_tax,
        cast(extracted.discount_amount as bigint) as discount_amount,
        cast(extracted.out_of_band_amount as bigint) as out_of_band_amount,
        cast(extracted.pre_payment_amount as bigint) as pre_payment_amount,
        cast(extracted.post_payment_amount as bigint) as post_payment_amount,
        {{ minor_to_major('cast(extracted.total as bigint)', 'currency_exponents.exponent') }} as total_major,
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
        {{ stripe_raw_metadata() }}
    from extracted
    left join currency_exponents
        on upper(extracted.currency) = currency_exponents.currency
)

select * from final
