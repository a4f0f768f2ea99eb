{#
    MRR per month end and source, in the base currency (M2): the sum of the customer movements
    (fct_mrr_movements), ARR = 12 x MRR, customer counts by movement. The bridge holds per month:
    starting + new + reactivation + expansion - contraction - churn + fx = ending, and net new MRR
    leaves FX out (M2). Every month of the reporting calendar has a row (zeros before the first
    subscription).
#}
with

movements as {{ inlined() }} (
    select * from {{ ref('fct_mrr_movements') }}
),

months as (
    select * from {{ ref('int_months_spanned') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

labels as (
    select distinct source_label from movements
),

monthly as (
    select
        month_start,
        source_label,
        sum(starting_mrr_minor) as starting_mrr,
        sum(new_mrr_minor) as new_mrr,
        sum(expansion_mrr_minor) as expansion_mrr,
        sum(contraction_mrr_minor) as contraction_mrr,
        sum(churned_mrr_minor) as churned_mrr,
        sum(reactivation_mrr_minor) as reactivation_mrr,
        sum(fx_mrr_minor) as fx_mrr,
        sum(ending_mrr_minor) as ending_mrr,
        count(case when ending_mrr_minor > 0 then 1 end) as active_customers,
        count(case when movement = 'new' then 1 end) as new_customers,
        count(case when movement = 'reactivation' then 1 end) as reactivated_customers,
        count(case when movement = 'expansion' then 1 end) as expanded_customers,
        count(case when movement = 'contraction' then 1 end) as contracted_customers,
        count(case when movement = 'churn' then 1 end) as churned_customers,
        count(case when movement = 'unconverted' then 1 end) as unconverted_customers,
        sum(active_subscriptions) as active_subscriptions
    from movements
    group by month_start, source_label
),

calendar as (
    select months.month_start, labels.source_label
    from months
    cross join labels
),

final as (
    select
        calendar.source_label || ':' || {{ year_month('calendar.month_start') }} as mrr_monthly_key,
        calendar.month_start,
        calendar.source_label,
        '{{ base_currency() }}' as currency,
        {% for column in ['starting_mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr',
                          'reactivation_mrr', 'fx_mrr', 'ending_mrr'] -%}
        {{ minor_to_major('coalesce(monthly.' ~ column ~ ', 0)', 'base.exponent') }} as {{ column }},
        {% endfor -%}
        {{ minor_to_major('coalesce(monthly.new_mrr, 0) + coalesce(monthly.reactivation_mrr, 0) + coalesce(monthly.expansion_mrr, 0) - coalesce(monthly.contraction_mrr, 0) - coalesce(monthly.churned_mrr, 0)', 'base.exponent') }}
            as net_new_mrr,
        {{ minor_to_major('12 * coalesce(monthly.ending_mrr, 0)', 'base.exponent') }} as arr,
        cast(coalesce(monthly.ending_mrr, 0) as bigint) as ending_mrr_minor,
        {% for column in ['active_customers', 'new_customers', 'reactivated_customers', 'expanded_customers',
                          'contracted_customers', 'churned_customers', 'unconverted_customers', 'active_subscriptions'] -%}
        cast(coalesce(monthly.{{ column }}, 0) as bigint) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from calendar
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base
    left join monthly
        on calendar.source_label = monthly.source_label
        and calendar.month_start = monthly.month_start
)

select * from final
