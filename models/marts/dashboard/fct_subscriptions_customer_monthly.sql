{{ config(materialized='view') }}
{#
    Subscription counts per month, source and customer, for the dashboard's filters and breakdowns by
    customer property: the same states as fct_revenue_metrics counts (int_subscription_states_monthly,
    at each month's instant), so summed over customers they are its active, trialing, new and churned
    subscriptions. A view: nothing to build, the dashboard reads it once per page.
#}
with

states as (
    select * from {{ ref('int_subscription_states_monthly') }}
),

final as (
    select
        month_start,
        source_label,
        customer_id,
        cast(count(case when state = 'active' then 1 end) as bigint) as active_subscriptions,
        cast(count(case when state = 'trialing' then 1 end) as bigint) as trialing_subscriptions,
        cast(count(case when is_start_month then 1 end) as bigint) as new_subscriptions,
        cast(count(case when is_end_month then 1 end) as bigint) as churned_subscriptions
    from states
    group by month_start, source_label, customer_id
)

select * from final
