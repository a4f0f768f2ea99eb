{{ config(severity='warn') }}
-- R2: the lines of a paid invoice, net of their discounts and of the allocated invoice-level
-- discount, add up to the invoice's total excluding tax (subtotal - all discounts), to the minor
-- unit. Warns, naming the invoice, when lines are missing (an invoice's lines past the first page not
-- loaded) or a discount is lost or counted twice: one invoice that does not reconcile must never
-- stop every mart. Invoices with an amount Stripe never sends are named by stripe_amounts_valid.
{%- set query %}
with

invoices as (
    select source_label, invoice_id, total_excluding_tax
    from {{ ref('stg_stripe__invoices') }}
    where is_paid
        and rejected_reason is null
),

lines as (
    select
        source_label,
        invoice_id,
        sum(net_amount) as net_amount,
        count(*) as lines,
        count(rejected_reason) as rejected_lines
    from {{ ref('int_invoice_lines_netted') }}
    group by source_label, invoice_id
)

select invoices.source_label, invoices.invoice_id, invoices.total_excluding_tax, lines.net_amount, lines.lines
from invoices
left join lines
    on invoices.source_label = lines.source_label
    and invoices.invoice_id = lines.invoice_id
where coalesce(lines.net_amount, 0) <> invoices.total_excluding_tax
    and coalesce(lines.rejected_lines, 0) = 0
{%- endset %}
{{ name_failing_rows('paid_invoice_lines_reconcile', query,
                     ['invoice_id', 'source_label', 'total_excluding_tax', 'net_amount', 'lines'],
                     'its revenue follows its lines; check the invoice in Stripe') }}
{{ query }}
