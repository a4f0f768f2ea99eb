{#
    Recognised revenue per month (§3), in the base currency, by source, product, customer country,
    cohort, coupon and recurring/one-off: gross (recognised parts of invoice lines + invoiceless
    charges) and net = gross + contra revenue (R8, R10: refunds, credit notes, disputes, voids, bad
    debt, each negative, a recovery's give-back positive). Months are those of each row's date: months
    after the as-of one hold scheduled recognition of what was billed (dim_months).

    Sums run over integer minor units and convert once per row at the end (exactly the sum of the
    rows' major amounts, faster than summing decimals), except in parity mode, where the reference's
    per-row amounts are not whole minor units.

    Incremental by month (S8): a build rebuilds the months whose fct_revenue_items rows changed
    (macros/build/revenue_item_changes.sql), the months of customers whose country or cohort changed since
    the last build (compared with the copy of dim_customers the post-hook keeps) and the months of
    products whose name changed.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    incremental_columns=['month_start', 'product_id', 'product_name'],
    pre_hook="{{ revenue_months_delete_rebuilt(revenue_monthly_months_rebuilt()) }}",
    post_hook="{{ revenue_monthly_keep_customers() }}"
) }}
{%- set parity = var('reference_parity', false) %}
{%- set summed = 'amount' if parity else 'amount_minor' %}
{%- set months = revenue_monthly_months_rebuilt() %}
with

items as (
    select * from {{ ref('fct_revenue_items') }}
    where {{ in_months(month_start('recognized_at'), months) }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

enriched as (
    select
        {{ month_start('items.recognized_at') }} as month_start,
        items.source_label,
        items.product_id,
        products.name as product_name,
        customers.country as customer_country,
        customers.cohort,
        items.coupon_id,
        items.coupon,
        items.is_recurring,
        items.revenue_type,
        items.is_gross,
        items.customer_id,
        items.amount,
        items.amount_minor,
        items.cleared_amount_minor,
        items.recovered_amount_minor
    from items
    left join customers
        on items.source_label = customers.source_label
        and items.customer_id = customers.customer_id
    left join products
        on items.source_label = products.source_label
        and items.product_id = products.product_id
),

aggregated as (
    select
        month_start,
        source_label,
        product_id,
        max(product_name) as product_name,
        customer_country,
        cohort,
        coupon_id,
        max(coupon) as coupon,
        is_recurring,
        sum(case when is_gross then {{ summed }} else 0 end) as gross_revenue,
        sum(case when revenue_type = 'refund' then {{ summed }} else 0 end) as refunds,
        sum(case when revenue_type = 'credit_note' then {{ summed }} else 0 end) as credit_notes,
        sum(case when revenue_type = 'dispute' then {{ summed }} else 0 end) as disputes,
        sum(case when revenue_type = 'void' then {{ summed }} else 0 end) as voids,
        sum(case when revenue_type = 'bad_debt' then {{ summed }} else 0 end) as bad_debt,
        sum({{ summed }}) as net_revenue,
        sum(case when is_gross then amount_minor else 0 end) as gross_revenue_minor,
        sum(case when not is_gross then amount_minor else 0 end) as contra_revenue_minor,
        sum(amount_minor) as net_revenue_minor,
        sum(cleared_amount_minor) as deferred_cleared_minor,
        sum(recovered_amount_minor) as recovered_minor,
        count(distinct customer_id) as customers,
        count(*) as revenue_items
    from enriched
    group by month_start, source_label, product_id, customer_country, cohort, coupon_id, is_recurring
),

final as (
    select
        md5(concat_ws('|',
            cast(month_start as {{ dbt.type_string() }}), source_label, coalesce(product_id, '~'),
            coalesce(customer_country, '~'), coalesce(cohort, '~'), coalesce(coupon_id, '~'),
            cast(is_recurring as {{ dbt.type_string() }}))) as revenue_monthly_key,
        month_start,
        source_label,
        product_id,
        product_name,
        customer_country,
        cohort,
        coupon_id,
        coupon,
        is_recurring,
        '{{ base_currency() }}' as currency,
        {%- for column in ['gross_revenue', 'refunds', 'credit_notes', 'disputes', 'voids', 'bad_debt', 'net_revenue'] %}
        {% if parity -%}
        cast({{ column }} as {{ money_type() }}) as {{ column }},
        {%- else -%}
        {{ minor_to_major(column, 'base.exponent') }} as {{ column }},
        {%- endif %}
        {%- endfor %}
        cast(gross_revenue_minor as bigint) as gross_revenue_minor,
        cast(contra_revenue_minor as bigint) as contra_revenue_minor,
        cast(net_revenue_minor as bigint) as net_revenue_minor,
        cast(deferred_cleared_minor as bigint) as deferred_cleared_minor,
        cast(recovered_minor as bigint) as recovered_minor,
        cast(customers as bigint) as customers,
        cast(revenue_items as bigint) as revenue_items
    from aggregated
    cross join (
        select exponent from {{ ref('currency_exponents') }} where currency = '{{ base_currency() }}'
    ) as base
)

select * from final
