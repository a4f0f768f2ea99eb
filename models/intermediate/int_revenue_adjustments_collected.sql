{#
    R8: what reduces revenue after the fact, as negative rows dated when it happens, in the
    object's currency and minor units:
      - refunds with status succeeded, at the refund's `created`;
      - credit notes not void: -(total - the part refunded through the credit note's refunds),
        at the credit note's `created` (the refunded part is already a refund row);
      - lost disputes: -amount, at the dispute's `created`.
    Refunds and disputes of invoiceless charges follow the include_invoiceless_charges toggle
    (no revenue counted, nothing to take back).
#}
with

refunds as {{ inlined() }} (
    select * from {{ ref('stg_stripe__refunds') }}
),

credit_notes as (
    select * from {{ ref('stg_stripe__credit_notes') }}
),

disputes as (
    select * from {{ ref('stg_stripe__disputes') }}
),

charges as {{ inlined() }} (
    select * from {{ ref('int_charges_linked') }}
),

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

invoice_lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
),

-- the product of a single-product invoice, to attribute its adjustments
refund_rows as (
    select
        refunds.source_label,
        refunds.refund_id as adjustment_id,
        'refund' as adjustment_type,
        refunds.charge_id,
        charges.invoice_id,
        charges.customer_id,
        refunds.currency,
        refunds.currency_exponent,
        -refunds.amount as amount,
        refunds.created_at as occurred_at,
        refunds.synced_at
    from refunds
    left join charges
        on refunds.source_label = charges.source_label
        and refunds.charge_id = charges.charge_id
    where refunds.status = 'succeeded'
        and refunds.rejected_reason is null  -- amounts Stripe never sends stay out of revenue (D6)
        and charges.rejected_reason is null  -- nothing negative without its positive
    {%- if not var('include_invoiceless_charges') %}
        and not coalesce(charges.is_invoiceless, false)
    {%- endif %}
),

credit_note_rows as (
    select
        credit_notes.source_label,
        credit_notes.credit_note_id as adjustment_id,
        'credit_note' as adjustment_type,
        cast(null as {{ dbt.type_string() }}) as charge_id,
        credit_notes.invoice_id,
        credit_notes.customer_id,
        credit_notes.currency,
        credit_notes.currency_exponent,
        -(credit_notes.total - coalesce(credit_notes.refunded_amount, legacy_refunds.amount, 0)) as amount,
        credit_notes.created_at as occurred_at,
        credit_notes.synced_at
    from credit_notes
    left join refunds as legacy_refunds
        on credit_notes.source_label = legacy_refunds.source_label
        and credit_notes.refund_id = legacy_refunds.refund_id
    where not credit_notes.is_void
        and credit_notes.rejected_reason is null
        -- fully refunded: nothing left that the refunds do not already take back
        and credit_notes.total - coalesce(credit_notes.refunded_amount, legacy_refunds.amount, 0) <> 0
),

dispute_rows as (
    select
        disputes.source_label,
        disputes.dispute_id as adjustment_id,
        'dispute' as adjustment_type,
        disputes.charge_id,
        charges.invoice_id,
        charges.customer_id,
        disputes.currency,
        disputes.currency_exponent,
        -disputes.amount as amount,
        disputes.created_at as occurred_at,
        disputes.synced_at
    from disputes
    left join charges
        on disputes.source_label = charges.source_label
        and disputes.charge_id = charges.charge_id
    where disputes.is_lost
        and disputes.rejected_reason is null
        and charges.rejected_reason is null
    {%- if not var('include_invoiceless_charges') %}
        and not coalesce(charges.is_invoiceless, false)
    {%- endif %}
),

adjustments as (
    select * from refund_rows
    union all
    select * from credit_note_rows
    union all
    select * from dispute_rows
),

-- the product of an adjusted invoice whose lines are all of one product (only those invoices: few)
invoice_products as (
    select invoice_lines.source_label, invoice_lines.invoice_id, min(invoice_lines.product_id) as product_id
    from invoice_lines
    inner join (select distinct source_label, invoice_id from adjustments) as adjusted
        on invoice_lines.source_label = adjusted.source_label
        and invoice_lines.invoice_id = adjusted.invoice_id
    group by invoice_lines.source_label, invoice_lines.invoice_id
    having count(distinct invoice_lines.product_id) = 1
),

final as (
    select
        adjustments.source_label,
        adjustments.adjustment_id,
        adjustments.adjustment_type,
        adjustments.charge_id,
        adjustments.invoice_id,
        coalesce(adjustments.customer_id, invoices.customer_id) as customer_id,
        invoices.subscription_id,
        invoice_products.product_id,
        adjustments.currency,
        adjustments.currency_exponent,
        adjustments.amount,
        adjustments.occurred_at,
        adjustments.synced_at
    from adjustments
    left join invoices
        on adjustments.source_label = invoices.source_label
        and adjustments.invoice_id = invoices.invoice_id
    left join invoice_products
        on adjustments.source_label = invoice_products.source_label
        and adjustments.invoice_id = invoice_products.invoice_id
)

select * from final
