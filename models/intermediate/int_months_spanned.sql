{#
    The reporting calendar: one row per month from the first month with billing activity to the
    month of the as-of instant. `as_of_at` is var('as_of') when set (an ISO timestamp, UTC), else the
    latest `created` among invoices, charges and events (the data's "now"; a synthetic account has
    its own clock). `month_end_at` is the month's last second; `instant_at`, the instant T at which
    the month's MRR is measured (M1), is the month end, or the as-of instant for the as-of month
    (a month end still to come would see renewals not invoiced yet).
#}
with

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

charges as (
    select * from {{ ref('stg_stripe__charges') }}
),

events as (
    select * from {{ ref('stg_stripe__events') }}
),

activity as (
    select min(created_at) as first_at, max(created_at) as last_at from invoices
    union all
    select min(created_at) as first_at, max(created_at) as last_at from charges
    union all
    select null as first_at, max(created_at) as last_at from events
),

clock as (
    select
        {{ month_start('min(first_at)') }} as first_month,
        {% if as_of_var() -%}
        cast('{{ as_of_var() }}' as timestamp) as as_of_at
        {%- else -%}
        max(last_at) as as_of_at
        {%- endif %}
    from activity
),

months as (
    {{ month_series('clock', 'first_month', month_start('as_of_at')) }}
),

final as (
    select
        months.month_start,
        {{ month_end('months.month_start') }} as month_end,
        cast({{ dbt.dateadd('second', -1, 'cast(' ~ add_months('months.month_start', 1) ~ ' as timestamp)') }} as timestamp)
            as month_end_at,
        least(
            cast({{ dbt.dateadd('second', -1, 'cast(' ~ add_months('months.month_start', 1) ~ ' as timestamp)') }} as timestamp),
            clock.as_of_at
        ) as instant_at,
        {{ year_month('months.month_start') }} as year_month,
        months.month_start = {{ month_start('clock.as_of_at') }} as is_as_of_month,
        clock.as_of_at
    from months
    cross join clock
)

select * from final
