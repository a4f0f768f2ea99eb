{#
    Incremental, unlike the other staging models (views): the raw JSON of this object is large (an
    invoice is ~2.5 kB with its lines and payments) and several models and data tests read it. It is
    parsed once, and later builds parse only the raw rows synced since (per source label); rows
    gone from the raw table are pruned. A change of this model's logic needs `--full-refresh`.
#}
{{ config(
    materialized='incremental',
    unique_key=['source_label', 'invoice_id'],
    post_hook="{{ stripe_prune_missing('invoice', 'invoice_id') }}"
) }}
with

source as (
    {{ stripe_source('invoice', incremental_since='synced_at') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'customer': ['customer.id', 'customer'],
        'status': 'status',
        'currency': 'currency',
        'billing_reason': 'billing_reason',
        'collection_method': 'collection_method',
        'number': 'number',
        'customer_email': 'customer_email',
        'customer_name': 'customer_name',
        'customer_country': 'customer_address.country',
        'amount_due': 'amount_due',
        'amount_paid': 'amount_paid',
        'amount_remaining': 'amount_remaining',
        'subtotal': 'subtotal',
        'total': 'total',
        'total_excluding_tax': 'total_excluding_tax',
        'legacy_tax': 'tax',
        'total_taxes': 'total_taxes',
        'total_discount_amounts': 'total_discount_amounts',
        'starting_balance': 'starting_balance',
        'ending_balance': 'ending_balance',
        'pre_payment_credit_notes_amount': 'pre_payment_credit_notes_amount',
        'post_payment_credit_notes_amount': 'post_payment_credit_notes_amount',
        'period_start': 'period_start',
        'period_end': 'period_end',
        'paid_at': 'status_transitions.paid_at',
        'finalized_at': 'status_transitions.finalized_at',
        'voided_at': 'status_transitions.voided_at',
        'marked_uncollectible_at': 'status_transitions.marked_uncollectible_at',
        'legacy_subscription': ['subscription.id', 'subscription'],
        'parent_type': 'parent.type',
        'parent_subscription': ['parent.subscription_details.subscription.id', 'parent.subscription_details.subscription'],
        'legacy_charge': ['charge.id', 'charge'],
        'legacy_payment_intent': ['payment_intent.id', 'payment_intent'],
        'legacy_discount': 'discount',
        'discounts': 'discounts',
        'payments': 'payments.data',
        'first_payment_intent': ['payments.data.0.payment.payment_intent.id', 'payments.data.0.payment.payment_intent'],
        'first_payment_charge': ['payments.data.0.payment.charge.id', 'payments.data.0.payment.charge'],
        'second_payment': 'payments.data.1.id',
        'payments_has_more': 'payments.has_more',
        'lines_has_more': 'lines.has_more',
        'metadata': 'metadata',
    }, keep=stripe_raw_keep() + ['data']) }}
),

final as (
    select
        extracted.source_label,
        extracted.id as invoice_id,
        extracted.customer as customer_id,
        -- legacy `subscription`, current `parent.subscription_details.subscription` (parent.type names the branch)
        coalesce(
            extracted.legacy_subscription,
            case when extracted.parent_type = 'subscription_details' then extracted.parent_subscription end
        ) as subscription_id,
        extracted.status,
        extracted.status = 'paid' as is_paid,
        extracted.billing_reason,
        extracted.collection_method,
        extracted.number,
        extracted.customer_email,
        extracted.customer_name,
        upper(extracted.customer_country) as customer_country,
        upper(extracted.currency) as currency,
        currency_exponents.exponent as currency_exponent,
        {{ json_integer('extracted.amount_due') }} as amount_due,
        {{ json_integer('extracted.amount_paid') }} as amount_paid,
        {{ json_integer('extracted.amount_remaining') }} as amount_remaining,
        {{ json_integer('extracted.subtotal') }} as subtotal,
        {{ json_integer('extracted.total') }} as total,
        -- legacy `tax`, current `total_taxes[].amount`
        coalesce({{ json_integer('extracted.legacy_tax') }}, {{ json_array_sum('extracted.total_taxes', 'amount') }}) as tax,
        coalesce(
            {{ json_integer('extracted.total_excluding_tax') }},
            {{ json_integer('extracted.total') }}
                - coalesce({{ json_integer('extracted.legacy_tax') }}, {{ json_array_sum('extracted.total_taxes', 'amount') }})
        ) as total_excluding_tax,
        {{ json_array_sum('extracted.total_discount_amounts', 'amount') }} as total_discount_amount,
        {{ json_integer('extracted.starting_balance') }} as starting_balance,
        {{ json_integer('extracted.ending_balance') }} as ending_balance,
        {{ json_integer('extracted.pre_payment_credit_notes_amount') }} as pre_payment_credit_notes_amount,
        {{ json_integer('extracted.post_payment_credit_notes_amount') }} as post_payment_credit_notes_amount,
        {{ minor_to_major(json_integer('extracted.amount_paid'), 'currency_exponents.exponent') }} as amount_paid_major,
        {{ minor_to_major(json_integer('extracted.total'), 'currency_exponents.exponent') }} as total_major,
        {{ from_unixtime('extracted.period_start') }} as period_start_at,
        {{ from_unixtime('extracted.period_end') }} as period_end_at,
        {{ from_unixtime('extracted.paid_at') }} as paid_at,
        {{ from_unixtime('extracted.finalized_at') }} as finalized_at,
        {{ from_unixtime('extracted.voided_at') }} as voided_at,
        {{ from_unixtime('extracted.marked_uncollectible_at') }} as marked_uncollectible_at,
        -- legacy payment references (the current shape has them in `payments`)
        extracted.legacy_charge as charge_id,
        extracted.legacy_payment_intent as payment_intent_id,
        extracted.legacy_discount as discount_json,
        extracted.discounts as discounts_json,
        extracted.payments as payments_json,
        -- the first payment's references (R7), without parsing payments_json again; most invoices have one
        extracted.first_payment_intent as first_payment_intent_id,
        extracted.first_payment_charge as first_payment_charge_id,
        extracted.second_payment is not null as has_several_payments,
        coalesce(cast(extracted.payments_has_more as boolean), false) as payments_has_more,
        coalesce(cast(extracted.lines_has_more as boolean), false) as lines_has_more,
        -- the embedded first page of lines, for the line order of R2's tie-break: only where a discount
        -- may need allocating (a second parse of the document, evaluated for those rows only)
        case when {{ json_array_sum('extracted.total_discount_amounts', 'amount') }} > 0
            then {{ json_extract_text('extracted.data', 'lines.data') }}
        end as embedded_lines_json,
        extracted.metadata,
        {{ from_unixtime('extracted.created') }} as created_at,
        -- amounts Stripe never sends (beyond 64 bits, negative where never negative): kept here, left out of revenue (D6)
        {{ rejected_amount_reason({'amount_due': 'extracted.amount_due', 'amount_paid': 'extracted.amount_paid', 'amount_remaining': 'extracted.amount_remaining', 'subtotal': 'extracted.subtotal', 'total': 'extracted.total', 'total_excluding_tax': 'extracted.total_excluding_tax', 'starting_balance': 'extracted.starting_balance', 'ending_balance': 'extracted.ending_balance', 'pre_payment_credit_notes_amount': 'extracted.pre_payment_credit_notes_amount', 'post_payment_credit_notes_amount': 'extracted.post_payment_credit_notes_amount'},
                                  non_negative=['amount_due', 'amount_paid', 'amount_remaining', 'pre_payment_credit_notes_amount', 'post_payment_credit_notes_amount']) }} as rejected_reason,
        {{ stripe_raw_metadata() }}
    from extracted
    left join currency_exponents
        on upper(extracted.currency) = currency_exponents.currency
)

select final.*, {{ built_at() }} as built_at from final
