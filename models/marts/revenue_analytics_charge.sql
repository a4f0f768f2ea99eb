{{ config(materialized='view') }}
{#
    Managed view (reference product: revenue_analytics_charge). Succeeded charges, amount =
    amount_captured, converted to the base currency at the charge's date (D4).
#}
{%- set parity = var('reference_parity', false) %}
with

charges as (
    select * from {{ ref('int_charges_linked') }}
    where is_succeeded
        and rejected_reason is null  -- D6
),

exchange_rates as (
    select * from {{ ref('int_exchange_rates_filled') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

converted as (
    select
        charges.*,
        {% if parity -%}
        cast(power(10, least(charges.currency_exponent, 2)) as bigint) as currency_aware_divider,
        {%- else -%}
        cast(power(10, charges.currency_exponent) as bigint) as currency_aware_divider,
        {%- endif %}
        base.exponent as base_exponent,
        {{ convert_minor('charges.amount_captured', 'charges.currency', 'charges.currency_exponent',
                         'exchange_rates.fx_factor', 'base.exponent') }} as amount_minor
    from charges
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base
    left join exchange_rates
        on exchange_rates.rate_date = cast(charges.created_at as date)
        and exchange_rates.currency = charges.currency
),

final as (
    select
        charge_id as id,
        source_label,
        created_at as timestamp,
        customer_id,
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as {{ dbt.type_string() }}) as event_name,
        currency as original_currency,
        cast(amount_captured as bigint) as original_amount,
        true as enable_currency_aware_divider,
        currency_aware_divider,
        cast(cast(amount_captured as {{ money_type() }}) / currency_aware_divider as {{ money_type() }}) as currency_aware_amount,
        '{{ base_currency() }}' as currency,
        {{ minor_to_major('amount_minor', 'base_exponent') }} as amount
    from converted
)

select * from final
