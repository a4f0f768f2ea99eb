-- R10: once an invoice is fully reversed (nothing of its value left, W = 0), none of its lines
-- recognises anything from that day on: the parts dated on or after it are zero (a daily part split by
-- the reversal keeps the days before it), so its deferred balance is zero from the reversal on.
with

events as (
    select * from {{ ref('int_revenue_reversal_events') }}
),

-- the cumulative amount taken, per subject; a recovery gives back, so an invoice fully reversed and
-- recovered later (R11) is left out: its schedule stays stopped, but by design
fully_reversed as (
    select source_label, subject_id, min(occurred_at) as reversed_at
    from (
        select
            source_label,
            subject_id,
            occurred_at,
            takes_all,
            subject_total,
            sum(case when event_kind = 'reversal' then coalesce(amount, 0) else 0 end) over (
                partition by source_label, subject_type, subject_id order by occurred_at, event_order, event_id
            ) as taken
        from events
        where subject_type = 'invoice'
    ) as cumulative
    where takes_all or taken >= subject_total
    group by source_label, subject_id
)

select reversed.source_label, reversed.subject_id, reversed.revenue_item_id, reversed.occurred_at,
    reversed.gross_amount, fully_reversed.reversed_at
from {{ ref('int_revenue_reversed') }} as reversed
inner join fully_reversed
    on reversed.source_label = fully_reversed.source_label
    and reversed.subject_id = fully_reversed.subject_id
where reversed.row_type = 'part'
    and cast(reversed.occurred_at as date) >= cast(fully_reversed.reversed_at as date)
    and reversed.gross_amount <> 0
