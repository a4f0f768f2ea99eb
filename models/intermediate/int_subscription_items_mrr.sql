{#
    M1: the MRR of every subscription item at every month end (T = the month's last second) and
    at the as-of instant ("now"), in the item's currency and minor units.

    The billing segment covering T is the latest line (latest invoice, then latest period start) of
    the item with period_start <= T < period_end, amount >= 0 (regular period lines and the positive
    proration line of an upgrade; negative proration credits never define MRR) on an invoice that is
    paid or open. MRR = round_half_away(unit_amount * quantity * (100 - percent_off)
    / (100 * interval_months)), percent_off the subscription coupon on that line. 0 when the
    subscription has ended_at <= T or T < trial_end (trialing).
#}
with

lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
),

months as (
    select * from {{ ref('int_months_spanned') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

instants as (
    select month_start, month_end as instant_date, month_end_at as instant_at, false as is_now
    from months
    union all
    select distinct null as month_start, cast(as_of_at as date) as instant_date, as_of_at as instant_at, true as is_now
    from months
),

segments as (
    select *
    from lines
    where subscription_item_key is not null
        and amount >= 0
        and invoice_status in ('paid', 'open')
        and interval_months > 0
        and period_end_at > period_start_at
),

covering as (
    select
        instants.month_start,
        instants.instant_date,
        instants.instant_at,
        instants.is_now,
        segments.*,
        row_number() over (
            partition by segments.source_label, segments.subscription_item_key, instants.instant_at, instants.is_now
            order by segments.invoice_created_at desc, segments.period_start_at desc,
                segments.line_index desc nulls last, segments.line_id desc
        ) as segment_rank
    from segments
    inner join instants
        on segments.period_start_at <= instants.instant_at
        and instants.instant_at < segments.period_end_at
),

final as (
    select
        covering.source_label,
        covering.subscription_item_key,
        covering.subscription_id,
        coalesce(covering.customer_id, subscriptions.customer_id) as customer_id,
        covering.month_start,
        covering.instant_date,
        covering.instant_at,
        covering.is_now,
        covering.line_id,
        covering.invoice_id,
        covering.price_id,
        covering.product_id,
        covering.currency,
        covering.currency_exponent,
        covering.unit_amount,
        covering.quantity,
        covering.percent_off,
        covering.interval_months,
        case
            when subscriptions.ended_at <= covering.instant_at then 'ended'
            when covering.instant_at < subscriptions.trial_end_at then 'trialing'
            else 'billed'
        end as mrr_state,
        case
            when subscriptions.ended_at <= covering.instant_at then 0
            when covering.instant_at < subscriptions.trial_end_at then 0
            else cast({{ round_half_away(
                'cast(covering.unit_amount * covering.quantity as double) * (100 - covering.percent_off)'
                ~ ' / (100 * covering.interval_months)') }} as bigint)
        end as mrr
    from covering
    left join subscriptions
        on covering.source_label = subscriptions.source_label
        and covering.subscription_id = subscriptions.subscription_id
    where covering.segment_rank = 1
)

select * from final
