{{ config(materialized='view') }}
{#
    The reporting calendar: every month from the first activity to the as-of instant (S2), and what a
    month's numbers mean. `closed`: the month ended, its revenue is final (late refunds aside);
    `in_progress`: the month of the as-of instant, its figures are month to date. Months after it do
    not appear: revenue dated there is scheduled recognition of what was already billed (deferred
    revenue, fct_deferred_revenue_monthly), not revenue earned yet. Join the monthly facts to this to
    report as the dashboard does.
#}
with

months as (
    select * from {{ ref('int_months_spanned') }}
),

final as (
    select
        month_start,
        month_end,
        year_month,
        case when is_as_of_month then 'in_progress' else 'closed' end as month_status,
        as_of_at
    from months
)

select * from final
