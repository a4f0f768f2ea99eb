{#
    M2: customer MRR at every month's instant (the month end; the as-of instant for the as-of month),
    in base-currency minor units: the sum of the customer's line contributions
    (int_mrr_contributions_computed) in its currency, never below 0, converted at the instant's date
    (D4). Its movement from the previous month: new (previous 0, never positive before),
    reactivation (previous 0, positive before), expansion / contraction (both positive, compared at
    this month's exchange rate, so in the customer's own currency), churn (to 0: the customer's last
    active subscription ended), unchanged. What the exchange rate alone moved is fx_mrr: the
    previous month's MRR converted at this month's rate minus starting MRR (both months positive).
    One row per customer and month where the starting or ending MRR is positive, so
    starting + new + reactivation + expansion - contraction - churn + fx = ending, exactly, every row.

    Incremental (S8): a build recomputes every month of the customers with a line whose netted row
    changed since the last build, and every customer from mrr_month_floor() on (the month before
    reads its ending MRR and "positive before" from the rows kept); the pre-hook deletes those rows.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['synced_at', 'currency', 'month_start', 'ending_mrr_minor', 'fx_mrr_minor', 'mrr_settings'],
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ mrr_movements_delete_rebuilt() }}"
) }}
-- depends_on: {{ ref('int_invoice_lines_netted') }}
{%- set month_floor = mrr_movements_month_floor() %}
with

{% if is_incremental() %}
changed_customers as (
    {{ mrr_movements_changed_customers() }}
),

-- kept rows: was the customer's MRR positive in a month before the floor?
positive_before_floor as (
    select distinct source_label, customer_id
    from {{ this }}
    where month_start < {{ month_floor }}
        and ending_mrr_minor > 0
),

contributions as (
    select contributions.*, changed_customers.customer_id is not null as is_changed_customer
    from {{ ref('int_mrr_contributions_computed') }} as contributions
    left join changed_customers
        on contributions.source_label = changed_customers.source_label
        and contributions.customer_id = changed_customers.customer_id
    where changed_customers.customer_id is not null
        or contributions.month_start >= {{ add_months(month_floor, -1) }}
),
{% else %}
contributions as (
    select * from {{ ref('int_mrr_contributions_computed') }}
),
{% endif %}

months as (
    select * from {{ ref('int_months_spanned') }}
),

exchange_rates as (
    select * from {{ ref('int_exchange_rates_filled') }}
),

currency_exponents as {{ inlined() }} (
    select * from {{ ref('currency_exponents') }}
),

subscription_mrr as (
    select
        source_label,
        customer_id,
        subscription_id,
        month_start,
        instant_date,
        currency,
        currency_exponent,
        sum(mrr) as mrr,
        max(inputs_synced_at) as synced_at
    from contributions
    group by source_label, customer_id, subscription_id, month_start, instant_date, currency, currency_exponent
),

customer_currency_mrr as (
    select
        source_label,
        customer_id,
        month_start,
        instant_date,
        currency,
        currency_exponent,
        -- a credit never makes MRR negative
        greatest(sum(mrr), 0) as mrr,
        count(case when mrr > 0 then 1 end) as subscriptions,
        max(synced_at) as synced_at
    from subscription_mrr
    group by source_label, customer_id, month_start, instant_date, currency, currency_exponent
),

customer_mrr as (
    select
        customer_currency_mrr.source_label,
        customer_currency_mrr.customer_id,
        customer_currency_mrr.month_start,
        sum({{ convert_minor('customer_currency_mrr.mrr', 'customer_currency_mrr.currency',
                             'customer_currency_mrr.currency_exponent', 'exchange_rates.fx_factor',
                             'base_exponents.exponent') }}) as mrr,
        sum(customer_currency_mrr.subscriptions) as subscriptions,
        max(customer_currency_mrr.synced_at) as synced_at,
        max(base_exponents.exponent) as base_exponent
    from customer_currency_mrr
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base_exponents
    left join exchange_rates
        on exchange_rates.rate_date = customer_currency_mrr.instant_date
        and exchange_rates.currency = customer_currency_mrr.currency
    group by customer_currency_mrr.source_label, customer_currency_mrr.customer_id, customer_currency_mrr.month_start
),

-- the previous month's MRR at this month's exchange rates (M2: what the rate alone moved is FX)
previous_at_current_rate as (
    select
        customer_currency_mrr.source_label,
        customer_currency_mrr.customer_id,
        months.month_start,
        sum({{ convert_minor('customer_currency_mrr.mrr', 'customer_currency_mrr.currency',
                             'customer_currency_mrr.currency_exponent', 'exchange_rates.fx_factor',
                             'base_exponents.exponent') }}) as mrr
    from customer_currency_mrr
    inner join months
        on months.month_start = {{ add_months('customer_currency_mrr.month_start', 1) }}
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base_exponents
    left join exchange_rates
        on exchange_rates.rate_date = cast(months.instant_at as date)
        and exchange_rates.currency = customer_currency_mrr.currency
    group by customer_currency_mrr.source_label, customer_currency_mrr.customer_id, months.month_start
),

-- a customer whose MRR has no rate to convert with stays visible (null amounts), never zero
positive as (
    select * from customer_mrr where mrr > 0 or mrr is null
),

candidate_months as (
    select source_label, customer_id, month_start from positive
    union
    select positive.source_label, positive.customer_id, {{ add_months('positive.month_start', 1) }} as month_start
    from positive
    inner join months
        on months.month_start = {{ add_months('positive.month_start', 1) }}
),

bridged as (
    select
        candidate_months.source_label,
        candidate_months.customer_id,
        candidate_months.month_start,
        case when previous.customer_id is null then 0 else previous.mrr end as starting_mrr,
        case when current_month.customer_id is null then 0 else current_month.mrr end as ending_mrr,
        case when previous.customer_id is null then 0 else previous_at_current_rate.mrr end as previous_at_current_rate,
        coalesce(current_month.subscriptions, 0) as active_subscriptions,
        greatest(current_month.synced_at, previous.synced_at) as synced_at,
        coalesce(max(case when coalesce(current_month.mrr, 0) > 0 then 1 else 0 end) over (
            partition by candidate_months.source_label, candidate_months.customer_id
            order by candidate_months.month_start
            rows between unbounded preceding and 1 preceding
        ), 0) = 1
        {%- if is_incremental() %}
            or positive_before_floor.customer_id is not null
        {%- endif %} as was_positive_before
        {%- if is_incremental() %},
        changed_customers.customer_id is not null as is_changed_customer
        {%- endif %}
    from candidate_months
    left join customer_mrr as current_month
        on candidate_months.source_label = current_month.source_label
        and candidate_months.customer_id = current_month.customer_id
        and candidate_months.month_start = current_month.month_start
    left join customer_mrr as previous
        on candidate_months.source_label = previous.source_label
        and candidate_months.customer_id = previous.customer_id
        and {{ add_months('candidate_months.month_start', -1) }} = previous.month_start
    left join previous_at_current_rate
        on candidate_months.source_label = previous_at_current_rate.source_label
        and candidate_months.customer_id = previous_at_current_rate.customer_id
        and candidate_months.month_start = previous_at_current_rate.month_start
    {% if is_incremental() -%}
    left join positive_before_floor
        on candidate_months.source_label = positive_before_floor.source_label
        and candidate_months.customer_id = positive_before_floor.customer_id
    left join changed_customers
        on candidate_months.source_label = changed_customers.source_label
        and candidate_months.customer_id = changed_customers.customer_id
    {%- endif %}
),

classified as (
    select
        *,
        -- all null when either end has no rate (unconverted): the bridge is then unknown, not zero
        case when starting_mrr is null or ending_mrr is null or previous_at_current_rate is null then null
            when starting_mrr = 0 and ending_mrr > 0 and not was_positive_before then ending_mrr else 0 end as new_mrr,
        case when starting_mrr is null or ending_mrr is null or previous_at_current_rate is null then null
            when starting_mrr = 0 and ending_mrr > 0 and was_positive_before then ending_mrr else 0 end as reactivation_mrr,
        -- expansion and contraction compare at this month's rate: the customer's own currency
        case when starting_mrr is null or ending_mrr is null or previous_at_current_rate is null then null
            when starting_mrr > 0 and ending_mrr > previous_at_current_rate then ending_mrr - previous_at_current_rate
            else 0 end as expansion_mrr,
        case when starting_mrr is null or ending_mrr is null or previous_at_current_rate is null then null
            when starting_mrr > 0 and ending_mrr > 0 and ending_mrr < previous_at_current_rate
                then previous_at_current_rate - ending_mrr
            else 0 end as contraction_mrr,
        case when starting_mrr is null or ending_mrr is null or previous_at_current_rate is null then null
            when starting_mrr > 0 and ending_mrr = 0 then starting_mrr else 0 end as churned_mrr,
        case when starting_mrr is null or ending_mrr is null or previous_at_current_rate is null then null
            when starting_mrr > 0 and ending_mrr > 0 then previous_at_current_rate - starting_mrr else 0 end as fx_mrr
    from bridged
),

base as (
    select exponent from currency_exponents where currency = '{{ base_currency() }}'
),

final as (
    select
        classified.source_label || ':' || classified.customer_id || ':' || {{ year_month('classified.month_start') }}
            as mrr_movement_key,
        classified.month_start,
        classified.source_label,
        classified.customer_id,
        case
            when starting_mrr is null or ending_mrr is null then 'unconverted'
            when new_mrr > 0 then 'new'
            when reactivation_mrr > 0 then 'reactivation'
            when expansion_mrr > 0 then 'expansion'
            when contraction_mrr > 0 then 'contraction'
            when churned_mrr > 0 then 'churn'
            else 'unchanged'
        end as movement,
        '{{ base_currency() }}' as currency,
        cast(starting_mrr as bigint) as starting_mrr_minor,
        cast(new_mrr as bigint) as new_mrr_minor,
        cast(expansion_mrr as bigint) as expansion_mrr_minor,
        cast(contraction_mrr as bigint) as contraction_mrr_minor,
        cast(churned_mrr as bigint) as churned_mrr_minor,
        cast(reactivation_mrr as bigint) as reactivation_mrr_minor,
        cast(fx_mrr as bigint) as fx_mrr_minor,
        cast(ending_mrr as bigint) as ending_mrr_minor,
        {{ minor_to_major('starting_mrr', 'base.exponent') }} as starting_mrr,
        {{ minor_to_major('new_mrr', 'base.exponent') }} as new_mrr,
        {{ minor_to_major('expansion_mrr', 'base.exponent') }} as expansion_mrr,
        {{ minor_to_major('contraction_mrr', 'base.exponent') }} as contraction_mrr,
        {{ minor_to_major('churned_mrr', 'base.exponent') }} as churned_mrr,
        {{ minor_to_major('reactivation_mrr', 'base.exponent') }} as reactivation_mrr,
        {{ minor_to_major('fx_mrr', 'base.exponent') }} as fx_mrr,
        {{ minor_to_major('ending_mrr', 'base.exponent') }} as ending_mrr,
        {{ minor_to_major('12 * ending_mrr', 'base.exponent') }} as ending_arr,
        cast(active_subscriptions as bigint) as active_subscriptions,
        synced_at,
        '{{ mrr_build_settings() }}' as mrr_settings
    from classified
    cross join base
    {% if is_incremental() -%}
    -- the month before the floor was read only for its ending MRR: its kept row stays
    where classified.is_changed_customer or classified.month_start >= {{ month_floor }}
    {%- endif %}
)

select final.*, {{ built_at() }} as built_at from final
