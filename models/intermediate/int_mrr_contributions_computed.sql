{#
    M1: what each subscription invoice line contributes to MRR at every month's instant T
    (int_months_spanned.instant_at: the month's last second, or the as-of instant for the as-of
    month), in the line's currency and minor units.

    A line counts at T when it belongs to a subscription, its price is recurring, its invoice is
    paid or open, and period_start <= T < period_end. Its monthly rate is
    round_half_away(unit_amount x quantity x (100 - percent_off) / (100 x interval_months)) with the
    subscription coupon's percent_off; a proration credit (proration line with a negative amount)
    subtracts its rate, so a mid-period change nets to the new plan: regular line (+old),
    credit (-old), remaining time (+new). Nothing counts when the subscription has ended
    (ended_at <= T) or is trialing (T < trial_end). Customer and subscription MRR are the sums,
    never below 0 (fct_mrr_movements, revenue_analytics_mrr).

    Incremental (S8): a build recomputes the lines whose netted row changed since the last build
    (inputs_synced_at: the line, its invoice, price or subscription), in every month, and every line
    from mrr_month_floor() on (the as-of month moves each build); the pre-hook first deletes those rows.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['inputs_synced_at', 'month_start', 'is_as_of_month'],
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ mrr_contributions_delete_rebuilt() }}"
) }}
{%- set since = incremental_watermark('inputs_synced_at') %}
{%- set month_floor = mrr_month_floor('select max(month_start) from ' ~ this ~ ' where is_as_of_month') %}
with

lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
    where subscription_id is not null
        and is_price_recurring
        and invoice_status in ('paid', 'open')
        and rejected_reason is null  -- D6
        and interval_months > 0
        {% if is_incremental() -%}
        and (inputs_synced_at > {{ since }} or period_end_at >= {{ month_floor }})
        {%- endif %}
),

months as (
    select * from {{ ref('int_months_spanned') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

covering as (
    select
        months.month_start,
        months.is_as_of_month,
        months.instant_at,
        lines.*
    from lines
    inner join months
        on lines.period_start_at <= months.instant_at
        and months.instant_at < lines.period_end_at
    {% if is_incremental() -%}
    where lines.inputs_synced_at > {{ since }} or months.month_start >= {{ month_floor }}
    {%- endif %}
),

final as (
    select
        covering.source_label,
        covering.line_id,
        covering.month_start,
        covering.is_as_of_month,
        covering.instant_at,
        cast(covering.instant_at as date) as instant_date,
        coalesce(covering.customer_id, subscriptions.customer_id) as customer_id,
        covering.subscription_id,
        covering.invoice_id,
        covering.price_id,
        covering.product_id,
        covering.is_proration,
        covering.currency,
        covering.currency_exponent,
        covering.unit_amount,
        covering.quantity,
        covering.percent_off,
        covering.interval_months,
        covering.inputs_synced_at,
        case
            when subscriptions.ended_at <= covering.instant_at then 'ended'
            when covering.instant_at < subscriptions.trial_end_at then 'trialing'
            else 'billed'
        end as mrr_state,
        case
            when subscriptions.ended_at <= covering.instant_at then 0
            when covering.instant_at < subscriptions.trial_end_at then 0
            else (case when covering.is_proration and covering.amount < 0 then -1 else 1 end)
                * cast({{ round_half_away(
                    'cast(covering.unit_amount * covering.quantity as double) * (100 - covering.percent_off)'
                    ~ ' / (100 * covering.interval_months)') }} as bigint)
        end as mrr
    from covering
    left join subscriptions
        on covering.source_label = subscriptions.source_label
        and covering.subscription_id = subscriptions.subscription_id
)

select final.*, {{ built_at() }} as built_at from final
