{#
    Every invoice line with its invoice, net of discounts (R2), signed (R3), with is_recurring per
    line (R4) and what MRR needs (M1). All invoice statuses: revenue keeps `is_paid` lines only,
    MRR also reads open invoices.

    M1 inputs: the price's unit amount, interval and usage type, the quantity, and the percent-off
    discount the line was invoiced with (proration lines carry no discount_amounts, their amount is
    already discounted: int_mrr_contributions_computed then reads the subscription's coupon in force).

    R2: net = amount - sum(discount_amounts) - allocated share of the invoice-level discount, where
    the invoice-level discount is sum(total_discount_amounts) - sum(line discount_amounts) when
    positive, capped at the sum of the weights, allocated over the discountable lines in proportion
    to their weight (amount net of their own discount_amounts, lines with a positive weight only), by
    largest remainder in minor units (ties: lower line index in the invoice first). A line without
    `discountable` is discountable. reference_net_amount spreads the same amount with the reference
    product's cumulative rounding in line order (reference_parity).

    Incremental by invoice (S8): a build recomputes every line of the invoices whose invoice, lines,
    subscription or prices were synced since the last build (inputs_synced_at), replacing all rows
    of those invoices; lines gone from staging are pruned.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['inputs_synced_at', 'rejected_reason', 'reference_net_amount', 'is_finalized'],
    unique_key=['source_label', 'invoice_id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ prune_rows_missing_from('select source_label, line_id from ' ~ ref('stg_stripe__invoice_line_items'),
                                         ['source_label', 'line_id']) }}"
) }}
{%- set since = incremental_watermark('inputs_synced_at') %}
with

all_lines as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoice_line_items') }}
),

all_invoices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoices') }}
),

prices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__prices') }}
),

subscriptions as {{ inlined() }} (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

discounts as {{ inlined() }} (
    select * from {{ ref('int_discounts_collected') }}
),

{% if is_incremental() %}
-- the invoices to recompute: anything they are computed from was synced since the last build
changed_invoices as (
    select source_label, invoice_id from all_invoices where synced_at > {{ since }}
    union
    select source_label, invoice_id from all_lines where synced_at > {{ since }}
    union
    select all_lines.source_label, all_lines.invoice_id
    from all_lines
    inner join prices
        on all_lines.source_label = prices.source_label
        and all_lines.price_id = prices.price_id
    where prices.synced_at > {{ since }}
    union
    select all_invoices.source_label, all_invoices.invoice_id
    from all_invoices
    inner join subscriptions
        on all_invoices.source_label = subscriptions.source_label
        and all_invoices.subscription_id = subscriptions.subscription_id
    where subscriptions.synced_at > {{ since }}
    union
    select all_lines.source_label, all_lines.invoice_id
    from all_lines
    inner join subscriptions
        on all_lines.source_label = subscriptions.source_label
        and all_lines.subscription_id = subscriptions.subscription_id
    where subscriptions.synced_at > {{ since }}
),

lines as (
    select all_lines.*
    from all_lines
    inner join changed_invoices
        on all_lines.source_label = changed_invoices.source_label
        and all_lines.invoice_id = changed_invoices.invoice_id
),

invoices as (
    select all_invoices.*
    from all_invoices
    inner join changed_invoices
        on all_invoices.source_label = changed_invoices.source_label
        and all_invoices.invoice_id = changed_invoices.invoice_id
),
{% else %}
lines as (
    select * from all_lines
),

invoices as (
    select * from all_invoices
),
{% endif %}

invoice_lines as (
    select
        lines.*,
        invoices.status as invoice_status,
        -- an invoice or line with amounts Stripe never sends counts as unpaid: out of revenue (D6)
        coalesce(invoices.is_paid, false) and invoices.rejected_reason is null and lines.rejected_reason is null
            as is_paid,
        coalesce(lines.rejected_reason, invoices.rejected_reason) as line_rejected_reason,
        invoices.customer_id,
        invoices.subscription_id as invoice_subscription_id,
        invoices.total_discount_amount as invoice_total_discount_amount,
        invoices.created_at as invoice_created_at,
        invoices.paid_at as invoice_paid_at,
        invoices.finalized_at as invoice_finalized_at,
        -- R1, finalized basis: the invoice was finalized (open, paid, uncollectible or void since)
        invoices.finalized_at is not null and invoices.status in ('open', 'paid', 'uncollectible', 'void')
            and invoices.rejected_reason is null and lines.rejected_reason is null as is_finalized,
        invoices.synced_at as invoice_synced_at
    from lines
    left join invoices
        on lines.source_label = invoices.source_label
        and lines.invoice_id = invoices.invoice_id
),

-- invoice-level discount not carried by lines (R2): U = min(D - sum(line discounts), T), where T is the
-- sum of the discountable lines' amounts net of their own discounts (Stripe applies line discounts
-- first; more than T cannot be allocated)
invoice_residuals as (
    select
        source_label,
        invoice_id,
        least(
            max(invoice_total_discount_amount) - sum(discount_amount),
            sum(case when is_discountable then greatest(amount - discount_amount, 0) else 0 end)
        ) as residual_discount,
        sum(case when is_discountable then greatest(amount - discount_amount, 0) else 0 end) as eligible_amount
    from invoice_lines
    group by source_label, invoice_id
    having max(invoice_total_discount_amount) > sum(discount_amount)
        and sum(case when is_discountable then greatest(amount - discount_amount, 0) else 0 end) > 0
),

-- line order in the invoice (the tie-break of R2), from the invoice's embedded first page of lines
embedded_line_order as (
    select
        source_label,
        invoice_id,
        {{ json_extract_text('element', 'id') }} as line_id,
        element_index as line_index
    from (
        select invoices.source_label, invoices.invoice_id, {{ json_array_unnest('invoices.embedded_lines_json') }}
        from invoices
        inner join invoice_residuals
            on invoices.source_label = invoice_residuals.source_label
            and invoices.invoice_id = invoice_residuals.invoice_id
        where invoices.embedded_lines_json is not null
    ) as embedded
),

eligible_lines as (
    select
        invoice_lines.source_label,
        invoice_lines.invoice_id,
        invoice_lines.line_id,
        invoice_residuals.residual_discount,
        invoice_lines.amount - invoice_lines.discount_amount as weight,
        cast(invoice_residuals.residual_discount as {{ wide_integer_type() }})
            * (invoice_lines.amount - invoice_lines.discount_amount) as weighted,
        invoice_residuals.eligible_amount,
        -- lines beyond the embedded page come after it, in id order
        coalesce(
            embedded_line_order.line_index,
            1000000 + row_number() over (
                partition by invoice_lines.source_label, invoice_lines.invoice_id order by invoice_lines.line_id)
        ) as line_index
    from invoice_lines
    inner join invoice_residuals
        on invoice_lines.source_label = invoice_residuals.source_label
        and invoice_lines.invoice_id = invoice_residuals.invoice_id
    left join embedded_line_order
        on invoice_lines.source_label = embedded_line_order.source_label
        and invoice_lines.invoice_id = embedded_line_order.invoice_id
        and invoice_lines.line_id = embedded_line_order.line_id
    where invoice_lines.is_discountable
        and invoice_lines.amount - invoice_lines.discount_amount > 0
),

floor_shares as (
    select
        *,
        {{ int_div('weighted', 'eligible_amount') }} as floor_share,
        {{ int_mod('weighted', 'eligible_amount') }} as remainder,
        -- U * C_i: the discount up to and including this line, in line order (the reference's spread)
        cast(residual_discount as {{ wide_integer_type() }}) * sum(weight) over (
            partition by source_label, invoice_id order by line_index rows between unbounded preceding and current row
        ) as cumulative_weighted
    from eligible_lines
),

ranked_shares as (
    select
        *,
        row_number() over (
            partition by source_label, invoice_id order by remainder desc, line_index
        ) as remainder_rank,
        residual_discount - sum(floor_share) over (partition by source_label, invoice_id) as units_left
    from floor_shares
),

allocations as (
    select
        source_label,
        line_id,
        line_index,
        -- R2: largest remainder (ties: the earlier line)
        cast(floor_share + case when remainder_rank <= units_left then 1 else 0 end as bigint)
            as allocated_discount_amount,
        -- the reference product's cumulative rounding: round(U*C_i/T) - round(U*C_(i-1)/T), half to even
        -- as ClickHouse rounds a Float64 (reference_parity, S6)
        cast(
            {{ int_div_round_half_even('cumulative_weighted', 'eligible_amount') }}
            - {{ int_div_round_half_even('cumulative_weighted - weighted', 'eligible_amount') }}
            as bigint
        ) as reference_allocated_discount_amount
    from ranked_shares
),

-- the discounts applied to each line (discount_amounts[]), with their coupons
line_discount_entries as (
    select
        entries.source_label,
        entries.line_id,
        entries.element_index,
        cast({{ json_extract_text('entries.element', 'amount') }} as bigint) as discount_amount,
        coalesce(
            {{ json_extract_text('entries.element', 'discount.id') }},
            {{ json_extract_text('entries.element', 'discount') }}
        ) as discount_id
    from (
        select source_label, line_id, {{ json_array_unnest('discount_amounts_json') }}
        from lines
        where discount_amounts_json is not null and discount_amounts_json <> '[]'
    ) as entries
),

line_discounts as (
    select
        line_discount_entries.*,
        discounts.coupon_id,
        discounts.coupon_name,
        discounts.percent_off,
        discounts.duration,
        coalesce(discounts.is_subscription_discount, false) as is_subscription_discount,
        row_number() over (
            partition by line_discount_entries.source_label, line_discount_entries.line_id
            order by cast(line_discount_entries.discount_amount > 0 as integer) desc, line_discount_entries.element_index
        ) as coupon_rank,
        row_number() over (
            partition by line_discount_entries.source_label, line_discount_entries.line_id
            order by
                cast(discounts.percent_off is not null as integer) desc,
                cast(coalesce(discounts.is_subscription_discount, false) as integer) desc,
                line_discount_entries.element_index
        ) as percent_rank
    from line_discount_entries
    left join discounts
        on line_discount_entries.source_label = discounts.source_label
        and line_discount_entries.discount_id = discounts.discount_id
),

line_coupons as (
    select
        source_label,
        line_id,
        max(case when coupon_rank = 1 then coupon_id end) as coupon_id,
        max(case when coupon_rank = 1 then coupon_name end) as coupon_name,
        max(case when percent_rank = 1 then percent_off end) as percent_off,
        max(case when percent_rank = 1 and percent_off is not null then duration end) as percent_off_duration
    from line_discounts
    group by source_label, line_id
),

-- the invoice-level discount (for lines whose only discount is an allocated share): the first
-- discount of the invoice that no line carries
invoice_level_discounts as (
    select
        invoice_discounts.source_label,
        invoice_discounts.invoice_id,
        discounts.coupon_id,
        discounts.coupon_name,
        row_number() over (
            partition by invoice_discounts.source_label, invoice_discounts.invoice_id
            order by invoice_discounts.element_index
        ) as discount_rank
    from (
        select
            source_label,
            invoice_id,
            element_index,
            coalesce({{ json_extract_text('element', 'id') }}, {{ json_extract_text('element', '') }}) as discount_id
        from (
            select invoices.source_label, invoices.invoice_id, {{ json_array_unnest('invoices.discounts_json') }}
            from invoices
            inner join invoice_residuals
                on invoices.source_label = invoice_residuals.source_label
                and invoices.invoice_id = invoice_residuals.invoice_id
            where invoices.discounts_json is not null and invoices.discounts_json <> '[]'
        ) as elements
    ) as invoice_discounts
    inner join discounts
        on invoice_discounts.source_label = discounts.source_label
        and invoice_discounts.discount_id = discounts.discount_id
    where not exists (
        select 1
        from line_discount_entries
        inner join lines
            on line_discount_entries.source_label = lines.source_label
            and line_discount_entries.line_id = lines.line_id
        where lines.source_label = invoice_discounts.source_label
            and lines.invoice_id = invoice_discounts.invoice_id
            and line_discount_entries.discount_id = invoice_discounts.discount_id
    )
),

final as (
    select
        invoice_lines.source_label,
        invoice_lines.line_id,
        invoice_lines.invoice_id,
        invoice_lines.invoice_status,
        invoice_lines.is_paid,
        invoice_lines.customer_id,
        coalesce(invoice_lines.subscription_id, invoice_lines.invoice_subscription_id) as subscription_id,
        invoice_lines.subscription_item_id,
        invoice_lines.invoice_item_id,
        invoice_lines.price_id,
        coalesce(invoice_lines.embedded_product_id, prices.product_id) as product_id,
        invoice_lines.line_type,
        invoice_lines.is_proration,
        coalesce(prices.is_recurring, invoice_lines.embedded_price_is_recurring, false) as is_price_recurring,
        -- R4: per line
        coalesce(prices.is_recurring, invoice_lines.embedded_price_is_recurring, false)
            or coalesce(invoice_lines.line_type = 'subscription', false) as is_recurring,
        -- the reference decides per invoice (parity mode)
        invoice_lines.invoice_subscription_id is not null as is_recurring_invoice,
        invoice_lines.currency,
        invoice_lines.currency_exponent,
        invoice_lines.amount,
        invoice_lines.discount_amount as line_discount_amount,
        coalesce(allocations.allocated_discount_amount, 0) as allocated_discount_amount,
        invoice_lines.inclusive_tax_amount,
        -- R2, R8: net of discounts and of the tax included in the amount (tax is never revenue)
        invoice_lines.amount - invoice_lines.discount_amount
            - coalesce(allocations.allocated_discount_amount, 0) - invoice_lines.inclusive_tax_amount as net_amount,
        -- the reference product reads the amount as is, tax included
        invoice_lines.amount - invoice_lines.discount_amount
            - coalesce(allocations.reference_allocated_discount_amount, 0) as reference_net_amount,
        invoice_lines.is_discountable,
        coalesce(line_coupons.coupon_id,
                 case when allocations.allocated_discount_amount > 0 then invoice_level_discounts.coupon_id end)
            as coupon_id,
        coalesce(line_coupons.coupon_name,
                 case when allocations.allocated_discount_amount > 0 then invoice_level_discounts.coupon_name end)
            as coupon,
        -- M1: the percent-off discount the line was invoiced with (null without one) and its duration
        line_coupons.percent_off as line_percent_off,
        line_coupons.percent_off_duration as line_percent_off_duration,
        coalesce(prices.usage_type, invoice_lines.embedded_price_usage_type) = 'metered' as is_price_metered,
        coalesce(prices.unit_amount, invoice_lines.embedded_unit_amount) as unit_amount,
        invoice_lines.quantity,
        coalesce(
            prices.interval_months,
            case invoice_lines.embedded_price_interval
                when 'month' then invoice_lines.embedded_price_interval_count
                when 'year' then 12 * invoice_lines.embedded_price_interval_count
            end
        ) as interval_months,
        invoice_lines.period_start_at,
        invoice_lines.period_end_at,
        allocations.line_index,
        invoice_lines.description,
        invoice_lines.invoice_created_at,
        invoice_lines.invoice_paid_at,
        invoice_lines.invoice_finalized_at,
        invoice_lines.is_finalized,
        coalesce(invoice_lines.line_rejected_reason, prices.rejected_reason) as rejected_reason,
        greatest(invoice_lines.synced_at, invoice_lines.invoice_synced_at) as synced_at,
        -- the latest sync of anything this row is computed from (the incremental watermark)
        greatest(invoice_lines.synced_at, invoice_lines.invoice_synced_at, prices.synced_at,
                 line_subscriptions.synced_at, invoice_subscriptions.synced_at) as inputs_synced_at
    from invoice_lines
    left join allocations
        on invoice_lines.source_label = allocations.source_label
        and invoice_lines.line_id = allocations.line_id
    left join line_coupons
        on invoice_lines.source_label = line_coupons.source_label
        and invoice_lines.line_id = line_coupons.line_id
    left join invoice_level_discounts
        on invoice_lines.source_label = invoice_level_discounts.source_label
        and invoice_lines.invoice_id = invoice_level_discounts.invoice_id
        and invoice_level_discounts.discount_rank = 1
    left join prices
        on invoice_lines.source_label = prices.source_label
        and invoice_lines.price_id = prices.price_id
    left join subscriptions as line_subscriptions
        on invoice_lines.source_label = line_subscriptions.source_label
        and invoice_lines.subscription_id = line_subscriptions.subscription_id
    left join subscriptions as invoice_subscriptions
        on invoice_lines.source_label = invoice_subscriptions.source_label
        and invoice_lines.invoice_subscription_id = invoice_subscriptions.subscription_id
)

select final.*, {{ built_at() }} as built_at from final
