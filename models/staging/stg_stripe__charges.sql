{#
    Incremental, unlike the other staging models (views): the raw JSON of this object is large (an
    invoice is ~2.5 kB with its lines and payments) and several models and data tests read it. It is
    parsed once, and later builds parse only the raw rows synced since (per source label); rows
    gone from the raw table are pruned. A change of this model's logic needs `--full-refresh`.
#}
{{ config(
    materialized='incremental',
    unique_key=['source_label', 'charge_id'],
    post_hook="{{ stripe_prune_missing('charge', 'charge_id') }}"
) }}
with

source as (
    {{ stripe_source('charge', incremental_since='synced_at') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'customer': ['customer.id', 'customer'],
        'invoice': ['invoice.id', 'invoice'],
        'payment_intent': ['payment_intent.id', 'payment_intent'],
        'balance_transaction': ['balance_transaction.id', 'balance_transaction'],
        'status': 'status',
        'currency': 'currency',
        'amount': 'amount',
        'amount_captured': 'amount_captured',
        'amount_refunded': 'amount_refunded',
        'paid': 'paid',
        'captured': 'captured',
        'refunded': 'refunded',
        'disputed': 'disputed',
        'description': 'description',
        'failure_code': 'failure_code',
        'receipt_email': 'receipt_email',
        'billing_email': 'billing_details.email',
        'metadata': 'metadata',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        extracted.source_label,
        extracted.id as charge_id,
        extracted.customer as customer_id,
        -- legacy shape only (removed in 2025-03-31.basil); the current link is the invoice's payments (R7)
        extracted.invoice as invoice_id,
        extracted.payment_intent as payment_intent_id,
        extracted.balance_transaction as balance_transaction_id,
        extracted.status,
        upper(extracted.currency) as currency,
        currency_exponents.exponent as currency_exponent,
        {{ json_integer('extracted.amount') }} as amount,
        {{ json_integer('extracted.amount_captured') }} as amount_captured,
        {{ json_integer('extracted.amount_refunded') }} as amount_refunded,
        {{ minor_to_major(json_integer('extracted.amount'), 'currency_exponents.exponent') }} as amount_major,
        {{ minor_to_major(json_integer('extracted.amount_captured'), 'currency_exponents.exponent') }} as amount_captured_major,
        {{ minor_to_major(json_integer('extracted.amount_refunded'), 'currency_exponents.exponent') }} as amount_refunded_major,
        cast(extracted.paid as boolean) as is_paid,
        cast(extracted.captured as boolean) as is_captured,
        cast(extracted.refunded as boolean) as is_refunded,
        cast(extracted.disputed as boolean) as is_disputed,
        extracted.description,
        extracted.failure_code,
        coalesce(extracted.receipt_email, extracted.billing_email) as email,
        extracted.metadata,
        {{ from_unixtime('extracted.created') }} as created_at,
        -- amounts Stripe never sends (beyond 64 bits, negative where never negative): kept here, left out of revenue (D6)
        {{ rejected_amount_reason({'amount': 'extracted.amount', 'amount_captured': 'extracted.amount_captured', 'amount_refunded': 'extracted.amount_refunded'},
                                  non_negative=['amount', 'amount_captured', 'amount_refunded']) }} as rejected_reason,
        {{ stripe_raw_metadata() }}
    from extracted
    left join currency_exponents
        on upper(extracted.currency) = currency_exponents.currency
)

select final.*, {{ built_at() }} as built_at from final
