{#
    Subscription state history: the state of every subscription at each month's instant T (the
    month's last second; the as-of instant for the as-of month) from the month it started to the month it ended (or the as-of month):
    trialing (trial_start <= T < trial_end), active (started, not ended), canceled (ended_at <= T,
    the month it ended). Stripe keeps no history of statuses (events last 30 days), so the
    state is derived from the timestamps the subscription carries. Subscriptions that never
    became active (incomplete, incomplete_expired) are left out.

    Incremental (S8): a build recomputes the subscriptions synced since the last build in every
    month, and every subscription from mrr_month_floor() on; the pre-hook deletes those rows first.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['synced_at', 'month_start'],
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ subscription_states_delete_rebuilt() }}"
) }}
{%- set since = incremental_watermark('synced_at') %}
{%- set month_floor = mrr_month_floor('select max(month_start) from ' ~ this) %}
with

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
    where status not in ('incomplete', 'incomplete_expired')
        and started_at is not null
        {% if is_incremental() -%}
        and (synced_at > {{ since }} or ended_at is null or ended_at >= {{ month_floor }})
        {%- endif %}
),

months as (
    select * from {{ ref('int_months_spanned') }}
),

spans as (
    select
        subscriptions.source_label,
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions.started_at,
        subscriptions.ended_at,
        subscriptions.trial_start_at,
        subscriptions.trial_end_at,
        months.month_start,
        months.instant_at as month_end_at,
        {{ month_start('subscriptions.started_at') }} = months.month_start as is_start_month,
        subscriptions.synced_at
    from subscriptions
    inner join months
        on months.month_start >= {{ month_start('subscriptions.started_at') }}
        and (subscriptions.ended_at is null or months.month_start <= {{ month_start('subscriptions.ended_at') }})
    {% if is_incremental() -%}
    where subscriptions.synced_at > {{ since }} or months.month_start >= {{ month_floor }}
    {%- endif %}
),

final as (
    select
        source_label,
        subscription_id,
        customer_id,
        month_start,
        month_end_at,
        case
            when ended_at <= month_end_at then 'canceled'
            when trial_end_at > month_end_at and coalesce(trial_start_at, started_at) <= month_end_at then 'trialing'
            else 'active'
        end as state,
        is_start_month,
        ended_at <= month_end_at as is_end_month,
        synced_at
    from spans
)

select final.*, {{ built_at() }} as built_at from final
