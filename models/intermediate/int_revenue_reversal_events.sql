{#
    R10 / R11: everything that takes back or gives back part of an invoice or of an invoiceless
    charge (the "subject"), one row per event, in the subject's currency and minor units. No
    arithmetic here: int_revenue_reversed walks the events in order.

      category     kind         when                     amount
      refund       reversal     refund created           refund amount (succeeded refunds)
      credit_note  reversal     credit note created      total - the part refunded through it (not void)
      dispute      reversal     dispute created          amount (funds withdrawn: not an inquiry)
      dispute      restoration funds reinstated         (won disputes, R11)
      void         reversal     voided_at                everything that remains (finalized basis)
      void         reclass      voided_at                an uncollectible invoice voided later (R11)
      bad_debt     reversal     marked_uncollectible_at  everything that remains (finalized basis)
      bad_debt     restoration paid_at                  an uncollectible invoice paid later (R11)

    Subjects: the invoices the revenue basis counts (R1) with a total above zero, and the succeeded
    invoiceless charges (R7, when include_invoiceless_charges). `event_order` is the tie-break at one
    instant (R10): refund, credit note, dispute, void (a reclass too), bad debt, a won dispute's
    reinstatement, a late payment of an uncollectible invoice.
#}
{%- set finalized = revenue_basis() == 'finalized' %}
with

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

charges as {{ inlined() }} (
    select * from {{ ref('int_charges_linked') }}
),

refunds as {{ inlined() }} (
    select * from {{ ref('stg_stripe__refunds') }}
),

credit_notes as (
    select * from {{ ref('stg_stripe__credit_notes') }}
),

disputes as (
    select * from {{ ref('stg_stripe__disputes') }}
),

-- R1: the invoices that count in this basis, and their total (tax included)
subject_invoices as (
    select source_label, invoice_id, currency, total
    from invoices
    where rejected_reason is null
        and total > 0
    {%- if finalized %}
        and finalized_at is not null
        and status in ('open', 'paid', 'uncollectible', 'void')
    {%- else %}
        and is_paid
    {%- endif %}
),

-- a charge's subject: its invoice, or itself when invoiceless (R7)
charge_subjects as (
    select
        charges.source_label,
        charges.charge_id,
        case when charges.is_invoiceless then 'charge' else 'invoice' end as subject_type,
        coalesce(charges.invoice_id, charges.charge_id) as subject_id
    from charges
    where charges.is_succeeded
        and charges.rejected_reason is null
    {%- if not var('include_invoiceless_charges') %}
        and not charges.is_invoiceless
    {%- endif %}
),

subjects as (
    select source_label, 'invoice' as subject_type, invoice_id as subject_id, currency, total as subject_total
    from subject_invoices
    {%- if var('include_invoiceless_charges') %}
    union all
    select source_label, 'charge' as subject_type, charge_id as subject_id, currency, amount_captured as subject_total
    from charges
    where is_succeeded
        and is_invoiceless
        and rejected_reason is null
        and amount_captured > 0
    {%- endif %}
),

refund_events as (
    select
        charge_subjects.source_label,
        charge_subjects.subject_type,
        charge_subjects.subject_id,
        refunds.refund_id as event_id,
        'refund' as category,
        'reversal' as event_kind,
        refunds.created_at as occurred_at,
        refunds.amount
    from refunds
    inner join charge_subjects
        on refunds.source_label = charge_subjects.source_label
        and refunds.charge_id = charge_subjects.charge_id
    where refunds.status = 'succeeded'
        and refunds.rejected_reason is null
),

credit_note_events as (
    select
        credit_notes.source_label,
        'invoice' as subject_type,
        credit_notes.invoice_id as subject_id,
        credit_notes.credit_note_id as event_id,
        'credit_note' as category,
        'reversal' as event_kind,
        credit_notes.created_at as occurred_at,
        -- the part refunded through the credit note is its refund's event
        credit_notes.total - coalesce(credit_notes.refunded_amount, legacy_refunds.amount, 0) as amount
    from credit_notes
    left join refunds as legacy_refunds
        on credit_notes.source_label = legacy_refunds.source_label
        and credit_notes.refund_id = legacy_refunds.refund_id
    where not credit_notes.is_void
        and credit_notes.rejected_reason is null
        and credit_notes.total - coalesce(credit_notes.refunded_amount, legacy_refunds.amount, 0) > 0
),

dispute_events as (
    select
        charge_subjects.source_label,
        charge_subjects.subject_type,
        charge_subjects.subject_id,
        disputes.dispute_id as event_id,
        'dispute' as category,
        'reversal' as event_kind,
        disputes.created_at as occurred_at,
        disputes.amount
    from disputes
    inner join charge_subjects
        on disputes.source_label = charge_subjects.source_label
        and disputes.charge_id = charge_subjects.charge_id
    where disputes.is_funds_withdrawn
        and disputes.rejected_reason is null
    union all
    select
        charge_subjects.source_label,
        charge_subjects.subject_type,
        charge_subjects.subject_id,
        disputes.dispute_id || ':won' as event_id,
        'dispute' as category,
        'restoration' as event_kind,
        disputes.reinstated_at as occurred_at,
        disputes.amount
    from disputes
    inner join charge_subjects
        on disputes.source_label = charge_subjects.source_label
        and disputes.charge_id = charge_subjects.charge_id
    where disputes.status = 'won'
        and disputes.rejected_reason is null
),

{% if finalized %}
-- R10 / R11, finalized basis: the invoice's own status transitions
status_events as (
    select
        source_label, 'invoice' as subject_type, invoice_id as subject_id, invoice_id || ':uncollectible' as event_id,
        'bad_debt' as category, 'reversal' as event_kind, marked_uncollectible_at as occurred_at,
        cast(null as bigint) as amount
    from invoices
    where marked_uncollectible_at is not null
        and status in ('uncollectible', 'paid', 'void')
    union all
    select
        source_label, 'invoice' as subject_type, invoice_id as subject_id, invoice_id || ':paid' as event_id,
        'bad_debt' as category, 'restoration' as event_kind, paid_at as occurred_at, cast(null as bigint) as amount
    from invoices
    where marked_uncollectible_at is not null
        and status = 'paid'
        and paid_at > marked_uncollectible_at
    union all
    select
        source_label, 'invoice' as subject_type, invoice_id as subject_id, invoice_id || ':void' as event_id,
        'void' as category,
        case when marked_uncollectible_at < voided_at then 'reclass' else 'reversal' end as event_kind,
        voided_at as occurred_at, cast(null as bigint) as amount
    from invoices
    where status = 'void'
        and voided_at is not null
),
{% endif %}

events as (
    select * from refund_events
    union all
    select * from credit_note_events
    union all
    select * from dispute_events
    {%- if finalized %}
    union all
    select * from status_events
    {%- endif %}
),

final as (
    select
        events.source_label,
        events.subject_type,
        events.subject_id,
        subjects.currency,
        subjects.subject_total,
        events.event_id,
        events.category,
        events.event_kind,
        events.occurred_at,
        -- void and uncollectible take everything that remains (R10)
        events.category in ('void', 'bad_debt') and events.event_kind = 'reversal' as takes_all,
        events.amount,
        case
            when events.event_kind = 'restoration' and events.category = 'dispute' then 6
            when events.event_kind = 'restoration' then 7
            when events.category = 'refund' then 1
            when events.category = 'credit_note' then 2
            when events.category = 'dispute' then 3
            when events.category = 'void' then 4
            else 5
        end as event_order
    from events
    inner join subjects
        on events.source_label = subjects.source_label
        and events.subject_type = subjects.subject_type
        and events.subject_id = subjects.subject_id
    where events.occurred_at is not null
)

select * from final
