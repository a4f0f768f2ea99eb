-- R7: a charge counted as invoiceless revenue is not also paid through an invoice. Re-derived here
-- from the raw references, independently of int_charges_linked: the charge names an invoice
-- (legacy charge.invoice), or an invoice names the charge or its payment intent (legacy
-- invoice.charge / invoice.payment_intent, current invoice.payments[].payment).
with

invoiceless as (
    select items.source_label, items.charge_id, charges.payment_intent_id, charges.invoice_id
    from {{ ref('fct_revenue_items') }} as items
    inner join {{ ref('stg_stripe__charges') }} as charges
        on items.source_label = charges.source_label
        and items.charge_id = charges.charge_id
    where items.revenue_type = 'charge'
),

invoices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoices') }}
),

-- the first payment of each invoice is parsed in staging; the JSON is unnested only for the few
-- invoices with several
payments as (
    select source_label, invoice_id, first_payment_intent_id as payment_intent_id,
        first_payment_charge_id as charge_id
    from invoices
    where first_payment_intent_id is not null or first_payment_charge_id is not null
    union all
    select
        source_label,
        invoice_id,
        coalesce({{ json_extract_text('element', 'payment.payment_intent.id') }},
                 {{ json_extract_text('element', 'payment.payment_intent') }}) as payment_intent_id,
        coalesce({{ json_extract_text('element', 'payment.charge.id') }},
                 {{ json_extract_text('element', 'payment.charge') }}) as charge_id
    from (
        select source_label, invoice_id, {{ json_array_unnest('payments_json') }}
        from invoices
        where has_several_payments
    ) as elements
),

charge_references as (
    select source_label, invoice_id, charge_id from invoices where charge_id is not null
    union all
    select source_label, invoice_id, charge_id from payments where charge_id is not null
),

payment_intent_references as (
    select source_label, invoice_id, payment_intent_id from invoices where payment_intent_id is not null
    union all
    select source_label, invoice_id, payment_intent_id from payments where payment_intent_id is not null
)

select invoiceless.source_label, invoiceless.charge_id, invoiceless.invoice_id, 'charge.invoice' as reference
from invoiceless
where invoiceless.invoice_id is not null
union all
select invoiceless.source_label, invoiceless.charge_id, charge_references.invoice_id, 'invoice names the charge'
from invoiceless
inner join charge_references
    on invoiceless.source_label = charge_references.source_label
    and invoiceless.charge_id = charge_references.charge_id
union all
select invoiceless.source_label, invoiceless.charge_id, payment_intent_references.invoice_id,
    'invoice names the payment intent'
from invoiceless
inner join payment_intent_references
    on invoiceless.source_label = payment_intent_references.source_label
    and invoiceless.payment_intent_id = payment_intent_references.payment_intent_id
