{#
    R10 / R11: what the reversal events do to the revenue of their invoice (or invoiceless charge),
    line by line, in the subject's currency and minor units. Only subjects with events appear; every
    other line keeps the schedule of int_invoice_lines_deferred as it is.

    row_type = 'part'  one row per schedule part of a line of a reversed invoice: `gross_amount`, what
                       the part recognises once the reversals before it have shrunk the schedule
    row_type = 'event' one row per (line, event): `contra_amount` (revenue taken back, negative when
                       given back), `cleared_amount` (deferred revenue cleared), `recovered_amount`
                       (a gain, not revenue), `other_loss_amount` (returned beyond what was paid, the subject's, on its first line);
                       a void of an uncollectible invoice gives two rows, bad_debt and void

    1. subject_walk: the events in order (R10): W (value not yet reversed), Δ, q = Δ / W, the
       schedule factor φ, other loss; a recovery gives back the Δ its event took (R11).
    2. line_walk: per line, the recognised position R, deferred D and recovered V at each event;
       between events the schedule moves φ·(S(t_k) - S(t_(k-1))) from D to R, where S is the line's
       original schedule recognised before the event's day (daily deferral: the part around it by days).
    3. Rounding (R10): D = φ·(L - S) is rounded at every checkpoint (a part's start and end, each event,
       split by the events inside a daily part) and gross and cleared rows are its drops, so
       gross + cleared + deferred = billed exactly; contra and recovered rows are the steps of their
       rounded cumulative sums (round_minor: 6 decimals, then half away from zero).
#}
{{ config(materialized='table') }}
{%- set daily = deferral_mode() == 'daily' %}
with recursive

events as {{ inlined() }} (
    select * from {{ ref('int_revenue_reversal_events') }}
),

deferred_parts as (
    select * from {{ ref('int_invoice_lines_deferred') }}
),

ordered_events as (
    select
        *,
        cast(occurred_at as date) as occurred_on,
        row_number() over (
            partition by source_label, subject_type, subject_id order by occurred_at, event_order, event_id
        ) as step
    from events
),

-- 1. the events in order, per subject: W, Δ, q, φ (Δ < 0: a recovery gives back what its event took)
{%- set delta -%}
    case
        when e.event_kind = 'reversal' and e.takes_all then prev.w_after
        when e.event_kind = 'reversal' then least(e.amount, prev.w_after)
        when e.event_kind = 'restoration' and e.category = 'dispute' then -prev.dispute_delta
        when e.event_kind = 'restoration' then -prev.mark_delta
        else 0
    end
{%- endset %}
{%- set q -%}
    case when e.event_kind = 'reversal' and prev.w_after > 0
        then cast({{ delta }} as {{ type_double() }}) / prev.w_after else 0 end
{%- endset %}
subject_walk as (
    select
        source_label, subject_type, subject_id, cast(0 as bigint) as step,
        cast(max(subject_total) as bigint) as w_after, cast(1 as {{ type_double() }}) as phi_after,
        cast(0 as bigint) as dispute_delta, cast(0 as bigint) as mark_delta,
        cast(null as bigint) as delta, cast(null as {{ type_double() }}) as q, cast(null as {{ type_double() }}) as phi_before,
        cast(null as bigint) as other_loss
    from ordered_events
    group by source_label, subject_type, subject_id
    union all
    select
        -- each column cast to its type in the first term: a recursive CTE keeps one type per column
        e.source_label, e.subject_type, e.subject_id, cast(e.step as bigint),
        cast(prev.w_after - {{ delta }} as bigint) as w_after,
        cast(prev.phi_after * (1 - {{ q }}) as {{ type_double() }}) as phi_after,
        cast(case when e.event_kind = 'reversal' and e.category = 'dispute' then {{ delta }} else prev.dispute_delta end as bigint),
        cast(case when e.event_kind = 'reversal' and e.category = 'bad_debt' then {{ delta }} else prev.mark_delta end as bigint),
        cast({{ delta }} as bigint) as delta,
        cast({{ q }} as {{ type_double() }}) as q,
        prev.phi_after as phi_before,
        cast(case when e.event_kind = 'reversal' and not e.takes_all then e.amount - {{ delta }} else 0 end as bigint) as other_loss
    from subject_walk as prev
    inner join ordered_events as e
        on e.source_label = prev.source_label
        and e.subject_type = prev.subject_type
        and e.subject_id = prev.subject_id
        and e.step = prev.step + 1
),

steps as (
    select ordered_events.*, subject_walk.delta, subject_walk.q, subject_walk.phi_before, subject_walk.phi_after,
        subject_walk.other_loss
    from ordered_events
    inner join subject_walk
        on ordered_events.source_label = subject_walk.source_label
        and ordered_events.subject_type = subject_walk.subject_type
        and ordered_events.subject_id = subject_walk.subject_id
        and ordered_events.step = subject_walk.step
),

subjects as (
    select distinct source_label, subject_type, subject_id, subject_total from events
),

-- the schedule parts of the lines of reversed invoices, with what the line recognised before each
parts as (
    select
        deferred_parts.*,
        coalesce(sum(deferred_parts.amount) over (
            partition by deferred_parts.source_label, deferred_parts.line_id
            order by deferred_parts.recognized_on, deferred_parts.part_index
            rows between unbounded preceding and 1 preceding
        ), 0) as recognized_before
    from deferred_parts
    inner join subjects
        on deferred_parts.source_label = subjects.source_label
        and subjects.subject_type = 'invoice'
        and deferred_parts.invoice_id = subjects.subject_id
),

-- every line of a subject: L; an invoiceless charge is one line recognised in full on its date
lines as (
    select distinct source_label, 'invoice' as subject_type, invoice_id as subject_id, line_id, line_amount
    from parts
    union all
    select source_label, subject_type, subject_id, subject_id as line_id, subject_total as line_amount
    from subjects
    where subject_type = 'charge'
),

-- S: what each line's original schedule recognised before each event's day (R10)
part_recognized_before_events as (
    select
        parts.source_label,
        parts.line_id,
        steps.step,
        sum(
            {%- if daily %}
            case
                when parts.part_end_on <= steps.occurred_on then cast(parts.amount as {{ type_double() }})
                when parts.recognized_on < steps.occurred_on then cast(parts.amount as {{ type_double() }})
                    * {{ days_between('parts.recognized_on', 'steps.occurred_on') }}
                    / {{ days_between('parts.recognized_on', 'parts.part_end_on') }}
                else 0
            end
            {%- else %}
            case when parts.recognized_on < steps.occurred_on then cast(parts.amount as {{ type_double() }}) else 0 end
            {%- endif %}
        ) as recognized_before
    from parts
    inner join steps
        on parts.source_label = steps.source_label
        and steps.subject_type = 'invoice'
        and parts.invoice_id = steps.subject_id
    group by parts.source_label, parts.line_id, steps.step
),

line_events as (
    select
        lines.source_label, lines.subject_type, lines.subject_id, lines.line_id, lines.line_amount,
        steps.step, steps.event_id, steps.category, steps.event_kind, steps.occurred_at, steps.q,
        steps.phi_before, steps.phi_after, steps.other_loss,
        case
            when lines.subject_type = 'charge' then cast(lines.line_amount as {{ type_double() }})
            else coalesce(part_recognized_before_events.recognized_before, 0)
        end as recognized_before
    from lines
    inner join steps
        on lines.source_label = steps.source_label
        and lines.subject_type = steps.subject_type
        and lines.subject_id = steps.subject_id
    left join part_recognized_before_events
        on lines.source_label = part_recognized_before_events.source_label
        and lines.line_id = part_recognized_before_events.line_id
        and steps.step = part_recognized_before_events.step
),

-- 2. per line: positions R (recognised, net of contra), D (deferred), V (recovered) through the events;
-- before each event the schedule moves φ·(S_k - S_(k-1)) from D to R
{%- set flow %}(e.phi_before * (e.recognized_before - prev.s_after)){% endset %}
{%- set r_before %}(prev.r_after + {{ flow }}){% endset %}
{%- set d_before %}(prev.d_after - {{ flow }}){% endset %}
{%- set given_back -%}
    case when e.category = 'bad_debt' then prev.mark_contra
    {%- if won_disputes() == 'reverse_contra' %} else prev.dispute_contra{% else %} else 0{% endif %} end
{%- endset %}
{#- what a reversal cleared: deferred revenue, and recoveries it took back (R11) -#}
{%- set recovered_gain -%}
    case when e.category = 'bad_debt' then prev.mark_cleared + prev.mark_unrecovered
    {%- if won_disputes() == 'reverse_contra' %} else prev.dispute_cleared + prev.dispute_unrecovered
    {%- else %} else prev.dispute_contra + prev.dispute_cleared + prev.dispute_unrecovered{% endif %} end
{%- endset %}
{%- set contra -%}
    case when e.event_kind = 'reversal' then e.q * {{ r_before }}
         when e.event_kind = 'restoration' then -({{ given_back }}) else 0 end
{%- endset %}
{%- set cleared %}case when e.event_kind = 'reversal' then e.q * {{ d_before }} else 0 end{% endset %}
{%- set recovered_change -%}
    case when e.event_kind = 'reversal' then -e.q * prev.v_after
         when e.event_kind = 'restoration' then {{ recovered_gain }} else 0 end
{%- endset %}
line_walk as (
    select
        source_label, subject_type, subject_id, line_id, line_amount, cast(0 as bigint) as step,
        cast(0 as {{ type_double() }}) as s_after, cast(0 as {{ type_double() }}) as r_after, cast(line_amount as {{ type_double() }}) as d_after,
        cast(0 as {{ type_double() }}) as v_after, cast(0 as {{ type_double() }}) as contra_cum, cast(0 as {{ type_double() }}) as recovered_cum,
        cast(0 as {{ type_double() }}) as dispute_contra, cast(0 as {{ type_double() }}) as dispute_cleared,
        cast(0 as {{ type_double() }}) as dispute_unrecovered,
        cast(0 as {{ type_double() }}) as mark_contra, cast(0 as {{ type_double() }}) as mark_cleared, cast(0 as {{ type_double() }}) as mark_unrecovered
    from lines
    union all
    select
        -- each column cast to its type in the first term: a recursive CTE keeps one type per column
        {%- set double = type_double() %}
        prev.source_label, prev.subject_type, prev.subject_id, prev.line_id, prev.line_amount, cast(e.step as bigint),
        cast(e.recognized_before as {{ double }}) as s_after,
        cast({{ r_before }} - ({{ contra }}) as {{ double }}) as r_after,
        cast({{ d_before }} - ({{ cleared }}) as {{ double }}) as d_after,
        cast(prev.v_after + ({{ recovered_change }}) as {{ double }}) as v_after,
        cast(prev.contra_cum + ({{ contra }}) as {{ double }}) as contra_cum,
        cast(prev.recovered_cum + ({{ recovered_change }}) as {{ double }}) as recovered_cum,
        cast(case when e.event_kind = 'reversal' and e.category = 'dispute' then {{ contra }} else prev.dispute_contra end as {{ double }}),
        cast(case when e.event_kind = 'reversal' and e.category = 'dispute' then {{ cleared }} else prev.dispute_cleared end as {{ double }}),
        cast(case when e.event_kind = 'reversal' and e.category = 'dispute' then e.q * prev.v_after
            else prev.dispute_unrecovered end as {{ double }}),
        cast(case when e.event_kind = 'reversal' and e.category = 'bad_debt' then {{ contra }} else prev.mark_contra end as {{ double }}),
        cast(case when e.event_kind = 'reversal' and e.category = 'bad_debt' then {{ cleared }} else prev.mark_cleared end as {{ double }}),
        cast(case when e.event_kind = 'reversal' and e.category = 'bad_debt' then e.q * prev.v_after
            else prev.mark_unrecovered end as {{ double }})
    from line_walk as prev
    inner join line_events as e
        on e.source_label = prev.source_label
        and e.subject_type = prev.subject_type
        and e.subject_id = prev.subject_id
        and e.line_id = prev.line_id
        and e.step = prev.step + 1
),

-- 3. event rows, rounded on cumulative series
event_rows as (
    select
        line_events.source_label,
        line_events.subject_type,
        line_events.subject_id,
        line_events.line_id,
        line_events.step,
        line_events.event_id,
        line_events.category,
        line_events.event_kind,
        line_events.occurred_at,
        {{ round_minor('line_walk.contra_cum') }} - {{ round_minor('previous.contra_cum') }} as contra_amount,
        {{ round_minor('line_events.phi_before * (line_events.line_amount - line_events.recognized_before)') }}
            - {{ round_minor('line_events.phi_after * (line_events.line_amount - line_events.recognized_before)') }}
            as cleared_amount,
        {{ round_minor('line_walk.recovered_cum') }} - {{ round_minor('previous.recovered_cum') }} as recovered_amount,
        -- other loss is the subject's, not a line's: on its first line (by id), converted once
        case
            when row_number() over (
                partition by line_events.source_label, line_events.subject_type, line_events.subject_id, line_events.step
                order by line_events.line_id) = 1
            then line_events.other_loss else 0
        end as other_loss_amount
    from line_events
    inner join line_walk
        on line_events.source_label = line_walk.source_label
        and line_events.subject_type = line_walk.subject_type
        and line_events.line_id = line_walk.line_id
        and line_events.step = line_walk.step
    inner join line_walk as previous
        on line_events.source_label = previous.source_label
        and line_events.subject_type = previous.subject_type
        and line_events.line_id = previous.line_id
        and line_events.step = previous.step + 1
),

-- R11: a void of an uncollectible invoice moves the line's bad debt contra to voids
reclassified as (
    select
        event_rows.source_label, event_rows.subject_type, event_rows.subject_id, event_rows.line_id,
        event_rows.step, event_rows.event_id, category_split.category, event_rows.event_kind,
        event_rows.occurred_at,
        category_split.sign * marks.contra_amount as contra_amount,
        0 as cleared_amount, 0 as recovered_amount, 0 as other_loss_amount
    from event_rows
    inner join event_rows as marks
        on event_rows.source_label = marks.source_label
        and event_rows.subject_type = marks.subject_type
        and event_rows.line_id = marks.line_id
        and marks.category = 'bad_debt'
        and marks.event_kind = 'reversal'
    cross join (select 'bad_debt' as category, -1 as sign union all select 'void' as category, 1 as sign)
        as category_split
    where event_rows.event_kind = 'reclass'
),

-- gross rows: each part, split by the events inside it (daily deferral), at the φ of each piece
piece_boundaries as (
    select source_label, invoice_id, revenue_item_id, recognized_on as boundary
    from parts
    {%- if daily %}
    union
    select parts.source_label, parts.invoice_id, parts.revenue_item_id, ordered_events.occurred_on as boundary
    from parts
    inner join ordered_events
        on parts.source_label = ordered_events.source_label
        and ordered_events.subject_type = 'invoice'
        and parts.invoice_id = ordered_events.subject_id
    where ordered_events.occurred_on > parts.recognized_on
        and ordered_events.occurred_on < parts.part_end_on
    {%- endif %}
),

part_pieces as (
    select
        parts.source_label, parts.invoice_id, parts.line_id, parts.revenue_item_id, parts.recognized_on,
        parts.part_end_on, parts.part_index, parts.amount, parts.line_amount, parts.recognized_before,
        piece_boundaries.boundary as piece_start,
        coalesce(
            lead(piece_boundaries.boundary) over (
                partition by parts.source_label, parts.revenue_item_id order by piece_boundaries.boundary),
            parts.part_end_on
        ) as piece_end
    from parts
    inner join piece_boundaries
        on parts.source_label = piece_boundaries.source_label
        and parts.revenue_item_id = piece_boundaries.revenue_item_id
),

-- φ of a piece: after the subject's events on or before its first day (an event on that day comes first)
piece_steps as (
    select
        part_pieces.source_label,
        part_pieces.revenue_item_id,
        part_pieces.piece_start,
        steps.phi_after,
        row_number() over (
            partition by part_pieces.source_label, part_pieces.revenue_item_id, part_pieces.piece_start
            order by steps.step desc
        ) as latest
    from part_pieces
    inner join steps
        on part_pieces.source_label = steps.source_label
        and steps.subject_type = 'invoice'
        and part_pieces.invoice_id = steps.subject_id
        and steps.occurred_on <= part_pieces.piece_start
),

piece_factors as (
    select
        part_pieces.*,
        coalesce(piece_steps.phi_after, 1) as phi,
        {%- if daily %}
        part_pieces.recognized_before + cast(part_pieces.amount as {{ type_double() }})
            * {{ days_between('part_pieces.recognized_on', 'part_pieces.piece_start') }}
            / {{ days_between('part_pieces.recognized_on', 'part_pieces.part_end_on') }} as s_start,
        part_pieces.recognized_before + cast(part_pieces.amount as {{ type_double() }})
            * {{ days_between('part_pieces.recognized_on', 'part_pieces.piece_end') }}
            / {{ days_between('part_pieces.recognized_on', 'part_pieces.part_end_on') }} as s_end
        {%- else %}
        cast(part_pieces.recognized_before as {{ type_double() }}) as s_start,
        cast(part_pieces.recognized_before + part_pieces.amount as {{ type_double() }}) as s_end
        {%- endif %}
    from part_pieces
    left join piece_steps
        on part_pieces.source_label = piece_steps.source_label
        and part_pieces.revenue_item_id = piece_steps.revenue_item_id
        and part_pieces.piece_start = piece_steps.piece_start
        and piece_steps.latest = 1
),

part_rows as (
    select
        source_label,
        invoice_id,
        line_id,
        revenue_item_id,
        recognized_on,
        part_index,
        sum(
            {{ round_minor('phi * (line_amount - s_start)') }} - {{ round_minor('phi * (line_amount - s_end)') }}
        ) as gross_amount
    from piece_factors
    group by source_label, invoice_id, line_id, revenue_item_id, recognized_on, part_index
),

final as (
    select
        source_label, 'part' as row_type, 'invoice' as subject_type, invoice_id as subject_id, line_id,
        revenue_item_id, 'invoice_line' as category, cast(recognized_on as timestamp) as occurred_at,
        cast(gross_amount as bigint) as gross_amount, cast(0 as bigint) as contra_amount,
        cast(0 as bigint) as cleared_amount, cast(0 as bigint) as recovered_amount,
        cast(0 as bigint) as other_loss_amount
    from part_rows
    union all
    select
        source_label, 'event' as row_type, subject_type, subject_id, line_id,
        case when subject_type = 'charge' then event_id else event_id || ':' || line_id end as revenue_item_id,
        category, occurred_at, cast(0 as bigint) as gross_amount,
        cast(contra_amount as bigint), cast(cleared_amount as bigint), cast(recovered_amount as bigint),
        cast(other_loss_amount as bigint)
    from event_rows
    where event_kind <> 'reclass'
    union all
    select
        source_label, 'event' as row_type, subject_type, subject_id, line_id,
        event_id || ':' || line_id || ':' || category as revenue_item_id,
        category, occurred_at, cast(0 as bigint) as gross_amount,
        cast(contra_amount as bigint), cast(cleared_amount as bigint), cast(recovered_amount as bigint),
        cast(other_loss_amount as bigint)
    from reclassified
)

select * from final
