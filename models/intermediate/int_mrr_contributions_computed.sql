{#
    M1: what each subscription invoice line contributes to MRR at every month's instant T
    (int_months_spanned.instant_at: the month's last second, or the as-of instant for the as-of
    month), in the line's currency and minor units.

    A line counts at T when it belongs to a subscription, its price is recurring (and licensed,
    unless var mrr_include_metered), its invoice is paid, or open while its subscription is not
    unpaid / incomplete / paused, and period_start <= T < period_end. Its monthly rate is
    round_half_away(unit_amount x quantity x (100 - percent_off) / 100 x (1 - tax_share) / interval_months)
    with percent_off by var mrr_discounts (the line's own percent-off discount, else the
    subscription's coupon in force at T; forever_only: forever coupons only) and tax_share the
    line's inclusive tax over its amount net of its own discounts. A proration credit (proration
    line with a negative amount) subtracts its rate, so a mid-period change nets to the new plan:
    regular line (+old), credit (-old), remaining time (+new). Nothing counts when the subscription
    has ended (ended_at <= T), is trialing (T < trial_end) or, with var mrr_churn_at = cancellation,
    its cancellation was requested (canceled_at <= T). Customer and subscription MRR are the sums,
    never below 0 (fct_mrr_movements). Rows that count 0 say why in mrr_state.

    Incremental (S8): a build recomputes the lines whose netted row changed since the last build
    (inputs_synced_at: the line, its invoice, price or subscription), in every month, and every line
    from mrr_month_floor() on (the as-of month moves each build; every month when the MRR vars
    changed, mrr_settings); the pre-hook first deletes those rows.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['inputs_synced_at', 'month_start', 'is_as_of_month', 'mrr_settings'],
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ mrr_contributions_delete_rebuilt() }}"
) }}
{%- set since = incremental_watermark('inputs_synced_at') %}
{%- set month_floor = mrr_month_floor('select max(month_start) from ' ~ this ~ ' where is_as_of_month', settings_checked=true) %}
{%- set forever_only = mrr_discounts() == 'forever_only' %}
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

discounts as (
    select * from {{ ref('int_discounts_collected') }}
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

-- the subscription's percent-off coupon in force at T, for lines invoiced without one (proration
-- lines, renewals after a coupon ended): a forever coupon from its start, a repeating one until its
-- end; a `once` coupon is in force only on the invoice that carried it (M1)
subscription_coupons_at as (
    select
        covering.source_label,
        covering.line_id,
        covering.month_start,
        discounts.percent_off,
        row_number() over (
            partition by covering.source_label, covering.line_id, covering.month_start
            order by discounts.start_at desc nulls last, discounts.discount_id desc
        ) as coupon_rank
    from covering
    inner join discounts
        on covering.source_label = discounts.source_label
        and covering.subscription_id = discounts.subscription_id
    where discounts.percent_off is not null
        and (discounts.start_at is null or discounts.start_at <= covering.instant_at)
        {% if forever_only -%}
        and discounts.duration = 'forever'
        {%- else -%}
        and (discounts.duration = 'forever'
             or (discounts.duration = 'repeating' and covering.instant_at < discounts.end_at))
        {%- endif %}
        {% if forever_only -%}
        and (covering.line_percent_off is null or coalesce(covering.line_percent_off_duration, 'forever') <> 'forever')
        {%- else -%}
        and covering.line_percent_off is null
        {%- endif %}
),

rated as (
    select
        covering.*,
        subscriptions.customer_id as subscription_customer_id,
        subscriptions.status as subscription_status,
        subscriptions.ended_at,
        subscriptions.trial_end_at,
        subscriptions.canceled_at,
        coalesce(
            {% if forever_only -%}
            case when coalesce(covering.line_percent_off_duration, 'forever') = 'forever' then covering.line_percent_off end,
            {%- else -%}
            covering.line_percent_off,
            {%- endif %}
            subscription_coupons_at.percent_off,
            0
        ) as percent_off,
        -- MRR never includes tax: the inclusive tax's share of the line net of its own discounts
        covering.amount - covering.line_discount_amount as taxed_amount
    from covering
    left join subscriptions
        on covering.source_label = subscriptions.source_label
        and covering.subscription_id = subscriptions.subscription_id
    left join subscription_coupons_at
        on covering.source_label = subscription_coupons_at.source_label
        and covering.line_id = subscription_coupons_at.line_id
        and covering.month_start = subscription_coupons_at.month_start
        and subscription_coupons_at.coupon_rank = 1
),

classified as (
    select
        source_label,
        line_id,
        month_start,
        is_as_of_month,
        instant_at,
        cast(instant_at as date) as instant_date,
        coalesce(customer_id, subscription_customer_id) as customer_id,
        subscription_id,
        invoice_id,
        price_id,
        product_id,
        is_proration,
        is_price_metered,
        currency,
        currency_exponent,
        unit_amount,
        quantity,
        percent_off,
        inclusive_tax_amount,
        interval_months,
        inputs_synced_at,
        case
            when ended_at <= instant_at then 'ended'
            {% if mrr_churn_at() == 'cancellation' -%}
            when canceled_at <= instant_at then 'canceled'
            {%- endif %}
            when instant_at < trial_end_at then 'trialing'
            when invoice_status = 'open' and subscription_status in ('unpaid', 'incomplete', 'incomplete_expired', 'paused')
                then 'unpaid'
            {% if not mrr_include_metered() -%}
            when coalesce(is_price_metered, false) then 'metered'
            {%- endif %}
            else 'billed'
        end as mrr_state,
        -- computed in double precision, to 6 decimals, then half away from zero (round_minor)
        (case when is_proration and amount < 0 then -1 else 1 end) * (
            case
                when coalesce(is_price_metered, false) then {{ round_minor(
                    'cast(amount - line_discount_amount - inclusive_tax_amount as ' ~ type_double() ~ ') / interval_months') }}
                when inclusive_tax_amount <> 0 and taxed_amount <> 0 then {{ round_minor(
                    'cast(unit_amount * quantity as ' ~ type_double() ~ ') * (100 - percent_off) * (taxed_amount - inclusive_tax_amount)'
                    ~ ' / (100.0 * interval_months * taxed_amount)') }}
                else {{ round_minor(
                    'cast(unit_amount * quantity as ' ~ type_double() ~ ') * (100 - percent_off) / (100 * interval_months)') }}
            end) as rate,
        '{{ mrr_build_settings() }}' as mrr_settings
    from rated
),

final as (
    select
        classified.source_label,
        classified.line_id,
        classified.month_start,
        classified.is_as_of_month,
        classified.instant_at,
        classified.instant_date,
        classified.customer_id,
        classified.subscription_id,
        classified.invoice_id,
        classified.price_id,
        classified.product_id,
        classified.is_proration,
        classified.is_price_metered,
        classified.currency,
        classified.currency_exponent,
        classified.unit_amount,
        classified.quantity,
        classified.percent_off,
        classified.inclusive_tax_amount,
        classified.interval_months,
        classified.inputs_synced_at,
        classified.mrr_state,
        case when classified.mrr_state = 'billed' then classified.rate else 0 end as mrr,
        classified.mrr_settings
    from classified
)

select final.*, {{ built_at() }} as built_at from final
