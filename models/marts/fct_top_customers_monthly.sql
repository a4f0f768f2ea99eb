{#
    The top customers of each month by net recognised revenue (base currency), rank 1 first,
    var('top_customers_per_month') of them (default 10; ties broken by customer id). Sums in integer
    minor units outside parity mode (as fct_revenue_monthly).

    Incremental by month (S8): a build rebuilds the months whose fct_revenue_items rows changed
    (macros/build/revenue_item_changes.sql), the months listing a customer whose name, email or country
    changed, and the months var('top_customers_per_month') cuts differently than it did.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    incremental_columns=['month_start', 'revenue_rank', 'customer_name', 'customer_email', 'customer_country'],
    pre_hook="{{ revenue_months_delete_rebuilt(top_customers_months_rebuilt()) }}"
) }}
{%- set parity = var('reference_parity', false) %}
{%- set summed = 'amount' if parity else 'amount_minor' %}
{%- set months = top_customers_months_rebuilt() %}
with

items as (
    select * from {{ ref('fct_revenue_items') }}
    where customer_id is not null
        and {{ in_months(month_start('recognized_at'), months) }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_months as (
    select
        {{ month_start('recognized_at') }} as month_start,
        source_label,
        customer_id,
        sum(case when is_gross then {{ summed }} else 0 end) as gross_revenue,
        sum({{ summed }}) as net_revenue
    from items
    group by 1, 2, 3
),

ranked as (
    select
        *,
        row_number() over (partition by month_start order by net_revenue desc, source_label, customer_id) as revenue_rank
    from customer_months
),

final as (
    select
        ranked.source_label || ':' || ranked.customer_id || ':' || {{ year_month('ranked.month_start') }}
            as top_customer_key,
        ranked.month_start,
        cast(ranked.revenue_rank as integer) as revenue_rank,
        ranked.source_label,
        ranked.customer_id,
        customers.name as customer_name,
        customers.email as customer_email,
        customers.country as customer_country,
        '{{ base_currency() }}' as currency,
        {%- for column in ['gross_revenue', 'net_revenue'] %}
        {% if parity -%}
        cast(ranked.{{ column }} as {{ money_type() }}) as {{ column }}
        {%- else -%}
        {{ minor_to_major('ranked.' ~ column, 'base.exponent') }} as {{ column }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from ranked
    cross join (
        select exponent from {{ ref('currency_exponents') }} where currency = '{{ base_currency() }}'
    ) as base
    left join customers
        on ranked.source_label = customers.source_label
        and ranked.customer_id = customers.customer_id
    where ranked.revenue_rank <= {{ top_customers_per_month() }}
)

select * from final
