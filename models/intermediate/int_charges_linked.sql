{#
    R7: every charge with the invoice it paid, if any. A charge is linked when the legacy
    `charge.invoice` is set, or an invoice names it: current-shape `invoice.payments.data[].payment`
    (payment_intent, or charge), or the legacy `invoice.charge` / `invoice.payment_intent`.
    Unlinked succeeded charges are the invoiceless revenue (toggle include_invoiceless_charges).

    Incremental by charge (S8): a build re-links the charges synced since the last build, the
    charges an invoice synced since names, and the charges linked to such an invoice before.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['inputs_synced_at', 'invoice_id', 'rejected_reason'],
    unique_key=['source_label', 'charge_id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ prune_rows_missing_from('select source_label, charge_id from ' ~ ref('stg_stripe__charges'),
                                         ['source_label', 'charge_id']) }}"
) }}
{%- set since = incremental_watermark('inputs_synced_at') %}
with

all_charges as {{ inlined() }} (
    select * from {{ ref('stg_stripe__charges') }}
),

invoices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoices') }}
),

{% if is_incremental() %}
changed_invoices as (
    select * from invoices where synced_at > {{ since }}
),

-- every payment reference of a changed invoice (the first payment, the legacy fields, the others)
changed_invoice_references as (
    select source_label, first_payment_charge_id as charge_id, first_payment_intent_id as payment_intent_id
    from changed_invoices
    union all
    select source_label, charge_id, payment_intent_id from changed_invoices
    union all
    {{ json_extract_fields(
        '(select source_label, ' ~ json_array_unnest('payments_json') ~ ' from changed_invoices where has_several_payments) as several_payments',
        'element', {
            'charge_id': ['payment.charge.id', 'payment.charge'],
            'payment_intent_id': ['payment.payment_intent.id', 'payment.payment_intent'],
        }, keep=['source_label']) }}
),

charges_in_scope as (
    select source_label, charge_id from all_charges where synced_at > {{ since }}
    union
    select source_label, charge_id from changed_invoice_references where charge_id is not null
    union
    select all_charges.source_label, all_charges.charge_id
    from all_charges
    inner join changed_invoice_references
        on all_charges.source_label = changed_invoice_references.source_label
        and all_charges.payment_intent_id = changed_invoice_references.payment_intent_id
    union
    select previous.source_label, previous.charge_id
    from {{ this }} as previous
    inner join changed_invoices
        on previous.source_label = changed_invoices.source_label
        and previous.invoice_id = changed_invoices.invoice_id
),

charges as (
    select all_charges.*
    from all_charges
    inner join charges_in_scope
        on all_charges.source_label = charges_in_scope.source_label
        and all_charges.charge_id = charges_in_scope.charge_id
),
{% else %}
charges as (
    select * from all_charges
),
{% endif %}

-- the first payment of every invoice is in staging; the others of the few invoices with several
payment_elements as (
    select source_label, invoice_id, status as invoice_status, {{ json_array_unnest('payments_json') }}
    from invoices
    where has_several_payments
),

other_payments as (
    {{ json_extract_fields('payment_elements', 'element', {
        'payment_intent_id': ['payment.payment_intent.id', 'payment.payment_intent'],
        'charge_id': ['payment.charge.id', 'payment.charge'],
    }, keep=['source_label', 'invoice_id', 'invoice_status', 'element_index']) }}
),

invoice_payments as (
    select source_label, invoice_id, status as invoice_status,
        first_payment_intent_id as payment_intent_id, first_payment_charge_id as charge_id
    from invoices
    where first_payment_intent_id is not null or first_payment_charge_id is not null
    union all
    select source_label, invoice_id, invoice_status, payment_intent_id, charge_id
    from other_payments
    where element_index > 1
),

links as (
    -- the charge itself names the invoice (legacy shape)
    select source_label, charge_id, invoice_id, 'charge.invoice' as link_source, 1 as link_priority, 1 as paid_priority
    from charges
    where invoice_id is not null
    union all
    select source_label, charge_id, invoice_id, 'invoice.payments' as link_source, 2 as link_priority,
        case when invoice_status = 'paid' then 1 else 2 end as paid_priority
    from invoice_payments
    where charge_id is not null
        {%- if is_incremental() %}
        and exists (select 1 from charges where charges.source_label = invoice_payments.source_label
                                              and charges.charge_id = invoice_payments.charge_id)
        {%- endif %}
    union all
    select charges.source_label, charges.charge_id, invoice_payments.invoice_id, 'invoice.payments' as link_source,
        2 as link_priority, case when invoice_payments.invoice_status = 'paid' then 1 else 2 end as paid_priority
    from invoice_payments
    inner join charges
        on invoice_payments.source_label = charges.source_label
        and invoice_payments.payment_intent_id = charges.payment_intent_id
    union all
    select source_label, charge_id, invoice_id, 'invoice.charge' as link_source, 3 as link_priority,
        case when status = 'paid' then 1 else 2 end as paid_priority
    from invoices
    where charge_id is not null
        {%- if is_incremental() %}
        and exists (select 1 from charges where charges.source_label = invoices.source_label
                                              and charges.charge_id = invoices.charge_id)
        {%- endif %}
    union all
    select charges.source_label, charges.charge_id, invoices.invoice_id, 'invoice.payment_intent' as link_source,
        3 as link_priority, case when invoices.status = 'paid' then 1 else 2 end as paid_priority
    from invoices
    inner join charges
        on invoices.source_label = charges.source_label
        and invoices.payment_intent_id = charges.payment_intent_id
),

best_links as (
    select
        source_label,
        charge_id,
        invoice_id,
        link_source,
        row_number() over (
            partition by source_label, charge_id order by link_priority, paid_priority, invoice_id
        ) as link_rank
    from links
),

final as (
    select
        charges.source_label,
        charges.charge_id,
        charges.customer_id,
        best_links.invoice_id,
        best_links.link_source,
        best_links.invoice_id is null as is_invoiceless,
        charges.payment_intent_id,
        charges.balance_transaction_id,
        charges.status,
        charges.status = 'succeeded' as is_succeeded,
        charges.currency,
        charges.currency_exponent,
        charges.amount,
        charges.amount_captured,
        charges.amount_refunded,
        charges.is_disputed,
        charges.description,
        charges.email,
        charges.metadata,
        charges.created_at,
        charges.rejected_reason,
        charges.synced_at,
        -- the latest sync of the charge and its invoice (the incremental watermark)
        greatest(charges.synced_at, linked_invoices.synced_at) as inputs_synced_at
    from charges
    left join best_links
        on charges.source_label = best_links.source_label
        and charges.charge_id = best_links.charge_id
        and best_links.link_rank = 1
    left join invoices as linked_invoices
        on best_links.source_label = linked_invoices.source_label
        and best_links.invoice_id = linked_invoices.invoice_id
)

select final.*, {{ built_at() }} as built_at from final
