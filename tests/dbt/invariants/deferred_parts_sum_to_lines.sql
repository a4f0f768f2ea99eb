-- R5/R6: the deferred parts of every invoice line the revenue basis counts (R1) sum to the line's
-- net amount, exactly, in minor units (and every such line has parts).
with

lines as (
    select source_label, line_id, net_amount
    from {{ ref('int_invoice_lines_netted') }}
    where {{ revenue_basis_filter() }}
),

parts as (
    select source_label, line_id, sum(amount) as parts_amount, count(*) as parts
    from {{ ref('int_invoice_lines_deferred') }}
    group by source_label, line_id
)

select lines.source_label, lines.line_id, lines.net_amount, parts.parts_amount, parts.parts
from lines
full outer join parts
    on lines.source_label = parts.source_label
    and lines.line_id = parts.line_id
where lines.line_id is null
    or parts.line_id is null
    or lines.net_amount <> parts.parts_amount
