-- R10, per line of a reversed invoice or charge, in its own currency, exactly: what the schedule
-- recognises (gross, every part) plus what reversals cleared from deferred revenue equals the line's
-- net amount (billed), so recognised + deferred + reversed = billed at every instant; and the contra
-- revenue never exceeds what was recognised, but for a minor unit per event (contra and gross round on
-- series of their own, R10).
with

reversed as (
    select * from {{ ref('int_revenue_reversed') }}
),

lines as (
    select source_label, line_id, max(line_amount) as line_amount
    from {{ ref('int_invoice_lines_deferred') }}
    group by source_label, line_id
),

totals as (
    select
        source_label,
        subject_type,
        line_id,
        sum(gross_amount) as gross,
        sum(cleared_amount) as cleared,
        sum(contra_amount) as contra,
        count(case when row_type = 'event' then 1 end) as events
    from reversed
    group by source_label, subject_type, line_id
)

select totals.*, lines.line_amount
from totals
left join lines
    on totals.source_label = lines.source_label
    and totals.line_id = lines.line_id
where (totals.subject_type = 'invoice' and totals.gross + totals.cleared <> lines.line_amount)
    or (totals.subject_type = 'invoice' and abs(totals.contra) > abs(totals.gross) + totals.events)
