{#
    Deferred revenue per month end and source (S7, R10): per line, billed − recognised − cleared, in the
    line's own currency, summed per currency and converted at the month end's rate (D4). The month's
    flows are converted per row at their own dates: billed (a line's net amount when its invoice was
    finalized or paid, R1), recognised (the invoice-line revenue rows), cleared (what reversals took off
    deferred revenue, R10). fx_revaluation is what the converted balance moved beyond them, so
    balance = previous balance + billed − recognised − cleared + fx_revaluation, exactly.
    A balance below zero is revenue recognised before it was billed (a service billed in arrears).
#}
{%- set parity = var('reference_parity', false) %}
with

lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
    where {{ revenue_basis_filter() }}
),

items as (
    select * from {{ ref('fct_revenue_items') }}
    where invoice_id is not null
),

{% if parity -%}
-- the reference's rows carry the whole line on every part: the schedule's own parts instead
parts as (
    select * from {{ ref('int_invoice_lines_deferred') }}
),
{%- endif %}

months as (
    select * from {{ ref('int_months_spanned') }}
),

exchange_rates as (
    select * from {{ ref('int_exchange_rates_filled') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

base as (
    select exponent from currency_exponents where currency = '{{ base_currency() }}'
),

-- the flows in each line's own currency (original) and converted at their own dates (base)
flows as (
    select
        lines.source_label,
        lines.currency,
        {{ month_start(billed_at_of('lines')) }} as month_start,
        lines.net_amount as billed,
        0 as recognized,
        0 as cleared,
        {{ convert_minor('lines.net_amount', 'lines.currency', 'lines.currency_exponent', 'billed_rates.fx_factor',
                         '(select exponent from base)') }} as billed_minor,
        0 as recognized_minor,
        0 as cleared_minor
    from lines
    left join exchange_rates as billed_rates
        on billed_rates.rate_date = cast({{ billed_at_of('lines') }} as date)
        and billed_rates.currency = lines.currency
    union all
    {%- if parity %}
    select
        parts.source_label, lines.currency, {{ month_start('parts.recognized_on') }} as month_start,
        0 as billed, parts.amount as recognized, 0 as cleared, 0 as billed_minor,
        {{ convert_minor('parts.amount', 'lines.currency', 'lines.currency_exponent', 'part_rates.fx_factor',
                         '(select exponent from base)') }} as recognized_minor,
        0 as cleared_minor
    from parts
    inner join lines
        on parts.source_label = lines.source_label
        and parts.line_id = lines.line_id
    left join exchange_rates as part_rates
        on part_rates.rate_date = parts.recognized_on
        and part_rates.currency = lines.currency
    {%- else %}
    select
        source_label, original_currency as currency, {{ month_start('recognized_at') }} as month_start,
        0 as billed,
        case when revenue_type = 'invoice_line' then original_amount else 0 end as recognized,
        original_cleared_amount as cleared,
        0 as billed_minor,
        case when revenue_type = 'invoice_line' then amount_minor else 0 end as recognized_minor,
        cleared_amount_minor as cleared_minor
    from items
    {%- endif %}
),

monthly as (
    select
        source_label, currency, month_start,
        sum(billed - recognized - cleared) as balance_change,
        sum(billed_minor) as billed_minor,
        sum(recognized_minor) as recognized_minor,
        sum(cleared_minor) as cleared_minor
    from flows
    group by source_label, currency, month_start
),

calendar as (
    select months.month_start, months.month_end, keys.source_label, keys.currency
    from months
    cross join (select distinct source_label, currency from monthly) as keys
),

-- what months before the calendar left in the balance (lines billed before the first activity month)
carried_in as (
    select source_label, currency, sum(balance_change) as balance
    from monthly
    where month_start < (select min(month_start) from months)
    group by source_label, currency
),

-- the balance in each currency at each month end
running as (
    select
        calendar.month_start,
        calendar.month_end,
        calendar.source_label,
        calendar.currency,
        coalesce(monthly.billed_minor, 0) as billed_minor,
        coalesce(monthly.recognized_minor, 0) as recognized_minor,
        coalesce(monthly.cleared_minor, 0) as cleared_minor,
        coalesce(carried_in.balance, 0) + sum(coalesce(monthly.balance_change, 0)) over (
            partition by calendar.source_label, calendar.currency order by calendar.month_start
            rows between unbounded preceding and current row
        ) as balance
    from calendar
    left join monthly
        on calendar.source_label = monthly.source_label
        and calendar.currency = monthly.currency
        and calendar.month_start = monthly.month_start
    left join carried_in
        on calendar.source_label = carried_in.source_label
        and calendar.currency = carried_in.currency
),

converted as (
    select
        running.*,
        {{ convert_minor('running.balance', 'running.currency', 'currency_exponents.exponent',
                         'month_end_rates.fx_factor', '(select exponent from base)') }} as balance_minor
    from running
    left join currency_exponents
        on running.currency = currency_exponents.currency
    left join exchange_rates as month_end_rates
        on month_end_rates.rate_date = running.month_end
        and month_end_rates.currency = running.currency
),

per_source as (
    select
        month_start,
        month_end,
        source_label,
        sum(billed_minor) as billed_minor,
        sum(recognized_minor) as recognized_minor,
        sum(cleared_minor) as cleared_minor,
        sum(balance_minor) as deferred_balance_minor
    from converted
    group by month_start, month_end, source_label
),

with_revaluation as (
    select
        *,
        deferred_balance_minor
            - coalesce(lag(deferred_balance_minor) over (partition by source_label order by month_start), 0)
            - billed_minor + recognized_minor + cleared_minor as fx_revaluation_minor
    from per_source
),

final as (
    select
        month_start,
        month_end,
        source_label,
        '{{ base_currency() }}' as currency,
        {%- for column in ['billed', 'recognized', 'cleared', 'fx_revaluation', 'deferred_balance'] %}
        {{ minor_to_major(column ~ '_minor', '(select exponent from base)') }} as {{ column }},
        {%- endfor %}
        cast(billed_minor as bigint) as billed_minor,
        cast(recognized_minor as bigint) as recognized_minor,
        cast(cleared_minor as bigint) as cleared_minor,
        cast(fx_revaluation_minor as bigint) as fx_revaluation_minor,
        cast(deferred_balance_minor as bigint) as deferred_balance_minor
    from with_revaluation
)

select * from final
