{#
    Dashboard metrics per month, all sources together, base currency (§3):
      revenue     gross and net recognised revenue (fct_revenue_items)
      customers   paying (gross revenue > 0 in the month), active (MRR > 0 at month end), new,
                  reactivated and churned (MRR movements), active at the start of the month
      subscriptions  active and trialing at month end, new (started in the month), churned (ended in
                  the month) (int_subscription_states_monthly)
      ARPU = gross revenue / paying customers; LTV = ARPU / subscriber churn rate (null when it is
      0); growth month over month of gross revenue and MRR, and the trailing 3 and 6 month averages
      of the monthly revenue growth.
      M3, the churn and retention rates by their published formulas (null when the denominator is 0;
      FX is in none of them):
        subscriber churn rate (Stripe) = churned customers / (active at the previous month end + new)
        MRR churn rate (gross, ChartMogul) = (churned + contraction MRR) / starting MRR
        net MRR churn rate = (churned + contraction - expansion - reactivation MRR) / starting MRR
        net MRR retention = (starting + expansion + reactivation - contraction - churned MRR) / starting MRR
        churned revenue (Stripe) = churned + contraction MRR
#}
with

months as (
    select * from {{ ref('int_months_spanned') }}
),

items as (
    select * from {{ ref('fct_revenue_items') }}
),

mrr as (
    select * from {{ ref('fct_mrr_monthly') }}
),

subscription_states as (
    select * from {{ ref('int_subscription_states_monthly') }}
),

customer_revenue as (
    select
        {{ month_start('recognized_at') }} as month_start,
        source_label,
        customer_id,
        sum(case when is_gross then amount else 0 end) as gross_revenue,
        sum(amount) as net_revenue
    from items
    group by 1, 2, 3
),

revenue as (
    select
        month_start,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        count(case when gross_revenue > 0 and customer_id is not null then 1 end) as paying_customers
    from customer_revenue
    group by month_start
),

mrr_totals as (
    select
        month_start,
        sum(ending_mrr) as mrr,
        sum(arr) as arr,
        sum(starting_mrr) as starting_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(fx_mrr) as fx_mrr,
        sum(active_customers) as active_customers,
        sum(new_customers) as new_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(churned_customers) as churned_customers
    from mrr
    group by month_start
),

subscriptions as (
    select
        month_start,
        count(case when state = 'active' then 1 end) as active_subscriptions,
        count(case when state = 'trialing' then 1 end) as trialing_subscriptions,
        count(case when is_start_month then 1 end) as new_subscriptions,
        count(case when is_end_month then 1 end) as churned_subscriptions
    from subscription_states
    group by month_start
),

joined as (
    select
        months.month_start,
        coalesce(revenue.gross_revenue, 0) as gross_revenue,
        coalesce(revenue.net_revenue, 0) as net_revenue,
        coalesce(revenue.paying_customers, 0) as paying_customers,
        coalesce(mrr_totals.mrr, 0) as mrr,
        coalesce(mrr_totals.arr, 0) as arr,
        coalesce(mrr_totals.starting_mrr, 0) as starting_mrr,
        coalesce(mrr_totals.expansion_mrr, 0) as expansion_mrr,
        coalesce(mrr_totals.contraction_mrr, 0) as contraction_mrr,
        coalesce(mrr_totals.churned_mrr, 0) as churned_mrr,
        coalesce(mrr_totals.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(mrr_totals.fx_mrr, 0) as fx_mrr,
        coalesce(mrr_totals.active_customers, 0) as active_customers,
        coalesce(lag(mrr_totals.active_customers) over (order by months.month_start), 0) as customers_at_start,
        coalesce(mrr_totals.new_customers, 0) as new_customers,
        coalesce(mrr_totals.reactivated_customers, 0) as reactivated_customers,
        coalesce(mrr_totals.churned_customers, 0) as churned_customers,
        coalesce(subscriptions.active_subscriptions, 0) as active_subscriptions,
        coalesce(subscriptions.trialing_subscriptions, 0) as trialing_subscriptions,
        coalesce(subscriptions.new_subscriptions, 0) as new_subscriptions,
        coalesce(subscriptions.churned_subscriptions, 0) as churned_subscriptions,
        lag(coalesce(revenue.gross_revenue, 0)) over (order by months.month_start) as previous_gross_revenue,
        lag(coalesce(mrr_totals.mrr, 0)) over (order by months.month_start) as previous_mrr
    from months
    left join revenue
        on months.month_start = revenue.month_start
    left join mrr_totals
        on months.month_start = mrr_totals.month_start
    left join subscriptions
        on months.month_start = subscriptions.month_start
),

ratios as (
    select
        *,
        case when paying_customers > 0 then cast(gross_revenue as {{ type_double() }}) / paying_customers end as arpu,
        case when customers_at_start + new_customers > 0
            then cast(churned_customers as {{ type_double() }}) / (customers_at_start + new_customers)
        end as subscriber_churn_rate,
        case when starting_mrr > 0
            then cast(churned_mrr + contraction_mrr as {{ type_double() }}) / cast(starting_mrr as {{ type_double() }})
        end as mrr_churn_rate,
        case when starting_mrr > 0
            then cast(churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr as {{ type_double() }}) / cast(starting_mrr as {{ type_double() }})
        end as net_mrr_churn_rate,
        case when starting_mrr > 0
            then cast(starting_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr as {{ type_double() }})
                / cast(starting_mrr as {{ type_double() }})
        end as net_mrr_retention,
        case when previous_gross_revenue > 0
            then cast(gross_revenue - previous_gross_revenue as {{ type_double() }}) / cast(previous_gross_revenue as {{ type_double() }})
        end as revenue_growth_mom,
        case when previous_mrr > 0
            then cast(mrr - previous_mrr as {{ type_double() }}) / cast(previous_mrr as {{ type_double() }})
        end as mrr_growth_mom
    from joined
),

final as (
    select
        month_start,
        '{{ base_currency() }}' as currency,
        cast(gross_revenue as {{ money_type() }}) as gross_revenue,
        cast(net_revenue as {{ money_type() }}) as net_revenue,
        cast(mrr as {{ money_type() }}) as mrr,
        cast(arr as {{ money_type() }}) as arr,
        cast(paying_customers as bigint) as paying_customers,
        cast(active_customers as bigint) as active_customers,
        cast(customers_at_start as bigint) as customers_at_start,
        cast(new_customers as bigint) as new_customers,
        cast(reactivated_customers as bigint) as reactivated_customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(active_subscriptions as bigint) as active_subscriptions,
        cast(trialing_subscriptions as bigint) as trialing_subscriptions,
        cast(new_subscriptions as bigint) as new_subscriptions,
        cast(churned_subscriptions as bigint) as churned_subscriptions,
        cast(starting_mrr as {{ money_type() }}) as starting_mrr,
        cast(expansion_mrr as {{ money_type() }}) as expansion_mrr,
        cast(contraction_mrr as {{ money_type() }}) as contraction_mrr,
        cast(churned_mrr as {{ money_type() }}) as churned_mrr,
        cast(reactivation_mrr as {{ money_type() }}) as reactivation_mrr,
        cast(fx_mrr as {{ money_type() }}) as fx_mrr,
        cast(churned_mrr + contraction_mrr as {{ money_type() }}) as churned_revenue,
        arpu,
        subscriber_churn_rate,
        mrr_churn_rate,
        net_mrr_churn_rate,
        net_mrr_retention,
        case when subscriber_churn_rate > 0 then arpu / subscriber_churn_rate end as ltv,
        revenue_growth_mom,
        avg(revenue_growth_mom) over (order by month_start rows between 2 preceding and current row)
            as revenue_growth_3m_avg,
        avg(revenue_growth_mom) over (order by month_start rows between 5 preceding and current row)
            as revenue_growth_6m_avg,
        mrr_growth_mom
    from ratios
)

select * from final
