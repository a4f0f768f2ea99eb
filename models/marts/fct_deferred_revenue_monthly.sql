{#
    Deferred revenue balance per month end and source (§3): invoice-line parts billed (invoice paid)
    on or before the month end and recognised after it. A part is in the balance of month m when
    month(billed_at) <= m < month(recognised): the running sum of +part at its billing month and
    -part at its recognition month. Also what was billed and recognised in the month (invoice
    lines only; charges and adjustments are recognised when they happen).
#}
with

items as (
    select * from {{ ref('fct_revenue_items') }}
    where revenue_type = 'invoice_line'
),

months as (
    select * from {{ ref('int_months_spanned') }}
),

parts as (
    select
        source_label,
        {{ month_start('billed_at') }} as billed_month,
        {{ month_start('recognized_at') }} as recognized_month,
        amount,
        amount_minor
    from items
),

flows as (
    select source_label, billed_month as month_start, amount as billed, amount_minor as billed_minor,
        0 as recognized, 0 as recognized_minor,
        case when billed_month < recognized_month then amount else 0 end as deferred_change,
        case when billed_month < recognized_month then amount_minor else 0 end as deferred_change_minor
    from parts
    union all
    select source_label, recognized_month as month_start, 0 as billed, 0 as billed_minor,
        amount as recognized, amount_minor as recognized_minor,
        case when billed_month < recognized_month then -amount else 0 end as deferred_change,
        case when billed_month < recognized_month then -amount_minor else 0 end as deferred_change_minor
    from parts
),

monthly as (
    select
        source_label,
        month_start,
        sum(billed) as billed,
        sum(recognized) as recognized,
        sum(deferred_change) as deferred_change,
        sum(billed_minor) as billed_minor,
        sum(recognized_minor) as recognized_minor,
        sum(deferred_change_minor) as deferred_change_minor
    from flows
    group by source_label, month_start
),

calendar as (
    select months.month_start, months.month_end, labels.source_label
    from months
    cross join (select distinct source_label from items) as labels
),

running as (
    select
        calendar.month_start,
        calendar.month_end,
        calendar.source_label,
        coalesce(monthly.billed, 0) as billed,
        coalesce(monthly.recognized, 0) as recognized,
        coalesce(monthly.billed_minor, 0) as billed_minor,
        coalesce(monthly.recognized_minor, 0) as recognized_minor,
        -- everything before the first calendar month is carried in by the first row
        sum(coalesce(monthly.deferred_change, 0)) over (
            partition by calendar.source_label order by calendar.month_start
            rows between unbounded preceding and current row
        ) as deferred_balance,
        sum(coalesce(monthly.deferred_change_minor, 0)) over (
            partition by calendar.source_label order by calendar.month_start
            rows between unbounded preceding and current row
        ) as deferred_balance_minor
    from calendar
    left join monthly
        on calendar.source_label = monthly.source_label
        and calendar.month_start = monthly.month_start
),

final as (
    select
        month_start,
        month_end,
        source_label,
        '{{ base_currency() }}' as currency,
        cast(billed as {{ money_type() }}) as billed,
        cast(recognized as {{ money_type() }}) as recognized,
        cast(deferred_balance as {{ money_type() }}) as deferred_balance,
        cast(billed_minor as bigint) as billed_minor,
        cast(recognized_minor as bigint) as recognized_minor,
        cast(deferred_balance_minor as bigint) as deferred_balance_minor
    from running
)

select * from final
