with

source as (
    {{ stripe_source('dispute') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'charge': ['charge.id', 'charge'],
        'payment_intent': ['payment_intent.id', 'payment_intent'],
        'amount': 'amount',
        'currency': 'currency',
        'status': 'status',
        'reason': 'reason',
        'is_charge_refundable': 'is_charge_refundable',
        'balance_transactions': 'balance_transactions',
        'metadata': 'metadata',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        extracted.source_label,
        extracted.id as dispute_id,
        extracted.charge as charge_id,
        extracted.payment_intent as payment_intent_id,
        extracted.status,
        extracted.status = 'lost' as is_lost,
        -- R10: the funds were withdrawn (not an inquiry, not closed by a refund of the charge)
        extracted.status not in ('warning_needs_response', 'warning_under_review', 'warning_closed', 'charge_refunded')
            as is_funds_withdrawn,
        -- R11: when a won dispute's funds came back; else when the won state was synced
        case when extracted.status = 'won' then coalesce(
            {{ from_unixtime(json_array_aggregate_where('extracted.balance_transactions', 'min', 'created',
                                                       'reporting_category', 'dispute_reversal')) }},
            {{ from_unixtime('extracted.state_at') }}
        ) end as reinstated_at,
        extracted.reason,
        upper(extracted.currency) as currency,
        currency_exponents.exponent as currency_exponent,
        {{ json_integer('extracted.amount') }} as amount,
        {{ minor_to_major(json_integer('extracted.amount'), 'currency_exponents.exponent') }} as amount_major,
        cast(extracted.is_charge_refundable as boolean) as is_charge_refundable,
        extracted.metadata,
        {{ from_unixtime('extracted.created') }} as created_at,
        -- amounts Stripe never sends (beyond 64 bits, negative where never negative): kept here, left out of revenue (D6)
        {{ rejected_amount_reason({'amount': 'extracted.amount'},
                                  non_negative=['amount']) }} as rejected_reason,
        {{ stripe_raw_metadata() }}
    from extracted
    left join currency_exponents
        on upper(extracted.currency) = currency_exponents.currency
)

select * from final
