{#
    Every revenue row, converted to the base currency per row at its own date (R9, D4):
      invoice_line  deferred parts of paid invoice lines (R1-R6)
      charge        succeeded charges without an invoice, on the charge date, not deferred (R7; toggle
                    include_invoiceless_charges)
      refund, credit_note, dispute   negative rows dated when they happen (R8)
    var('reference_parity') = true restores the reference product's gross behaviour: credit lines
    clamped to 0, is_recurring per invoice, three-decimal currencies divided by 100, each monthly
    part = the converted line / number of parts (not summing exactly), currency_aware_amount = the
    whole line on every part, and no refunds, credit notes or disputes.

    Incremental (S8): a build rebuilds the rows of invoice lines and charges synced since the last
    build (synced_at), every refund / credit note / dispute row (few), and the rows converted at an
    estimated rate (dated after the currency's latest published rate); everything when the settings
    in build_settings changed. The pre-hook first keeps and deletes those rows; the post-hook logs the
    months of the rows that changed for the monthly facts (macros/revenue_item_changes.sql).
#}
{{ config(
    materialized='incremental',
    incremental_columns=['synced_at', 'build_settings', 'is_fx_estimated'],
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ revenue_items_delete_rebuilt() }}",
    post_hook="{{ revenue_items_log_changes() }}"
) }}
{%- set parity = var('reference_parity', false) %}
{%- set scope = revenue_items_rebuild_scope() %}
with

deferred_parts as (
    select * from {{ ref('int_invoice_lines_deferred') }}
    {% if scope.incremental -%}
    -- narrowed before the join with the lines; the exact scope is applied after it
    where {{ revenue_items_fx_rebuilt(scope, none, 'recognized_on') }}
        or line_id in (
            select line_id from {{ ref('int_invoice_lines_netted') }} where inputs_synced_at > {{ scope.since }}
        )
    {%- endif %}
),

invoice_lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
),

deferred_lines as (
    select
        deferred_parts.source_label,
        deferred_parts.revenue_item_id,
        deferred_parts.line_id,
        deferred_parts.recognized_on,
        deferred_parts.amount,
        deferred_parts.line_amount,
        deferred_parts.reference_line_amount,
        deferred_parts.part_index,
        deferred_parts.part_count,
        invoice_lines.invoice_id,
        invoice_lines.customer_id,
        invoice_lines.subscription_id,
        invoice_lines.product_id,
        invoice_lines.coupon,
        invoice_lines.coupon_id,
        invoice_lines.is_recurring,
        invoice_lines.is_recurring_invoice,
        invoice_lines.currency,
        invoice_lines.currency_exponent,
        invoice_lines.invoice_created_at,
        coalesce(invoice_lines.invoice_paid_at, invoice_lines.invoice_created_at) as billed_at,
        invoice_lines.inputs_synced_at as synced_at
    from deferred_parts
    inner join invoice_lines
        on deferred_parts.source_label = invoice_lines.source_label
        and deferred_parts.line_id = invoice_lines.line_id
    {% if scope.incremental -%}
    where invoice_lines.inputs_synced_at > {{ scope.since }}
        or {{ revenue_items_fx_rebuilt(scope, 'invoice_lines.currency', 'deferred_parts.recognized_on') }}
    {%- endif %}
),

charges as (
    select * from {{ ref('int_charges_linked') }}
),

adjustments as (
    select * from {{ ref('int_revenue_adjustments_collected') }}
),

exchange_rates as (
    select * from {{ ref('int_exchange_rates_filled') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

rows_unioned as (
    select
        source_label,
        revenue_item_id,
        line_id as invoice_item_id,
        'invoice_line' as revenue_type,
        cast(recognized_on as timestamp) as recognized_at,
        invoice_created_at as created_at,
        billed_at,
        {% if parity %}is_recurring_invoice{% else %}is_recurring{% endif %} as is_recurring,
        product_id,
        customer_id,
        invoice_id,
        subscription_id,
        cast(null as {{ dbt.type_string() }}) as charge_id,
        coupon,
        coupon_id,
        currency,
        currency_exponent,
        {% if parity %}greatest(reference_line_amount, 0){% else %}amount{% endif %} as original_amount,
        {% if parity %}greatest(reference_line_amount, 0){% else %}line_amount{% endif %} as line_amount,
        part_index,
        part_count,
        '{{ deferral_mode() }}' as deferral_mode,
        synced_at
    from deferred_lines

    {% if var('include_invoiceless_charges') %}
    union all

    select
        source_label,
        charge_id as revenue_item_id,
        charge_id as invoice_item_id,
        'charge' as revenue_type,
        created_at as recognized_at,
        created_at,
        created_at as billed_at,
        false as is_recurring,
        cast(null as {{ dbt.type_string() }}) as product_id,
        customer_id,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        cast(null as {{ dbt.type_string() }}) as subscription_id,
        charge_id,
        cast(null as {{ dbt.type_string() }}) as coupon,
        cast(null as {{ dbt.type_string() }}) as coupon_id,
        currency,
        currency_exponent,
        amount_captured as original_amount,
        amount_captured as line_amount,
        0 as part_index,
        1 as part_count,
        cast(null as {{ dbt.type_string() }}) as deferral_mode,
        inputs_synced_at as synced_at
    from charges
    where is_succeeded
        and is_invoiceless
        and rejected_reason is null  -- amounts Stripe never sends stay out of revenue (D6)
        {% if scope.incremental -%}
        and (inputs_synced_at > {{ scope.since }}
            or {{ revenue_items_fx_rebuilt(scope, 'currency', 'cast(created_at as date)') }})
        {%- endif %}
    {% endif %}

    {% if not parity %}
    union all

    select
        source_label,
        adjustment_id as revenue_item_id,
        adjustment_id as invoice_item_id,
        adjustment_type as revenue_type,
        occurred_at as recognized_at,
        occurred_at as created_at,
        occurred_at as billed_at,
        false as is_recurring,
        product_id,
        customer_id,
        invoice_id,
        subscription_id,
        charge_id,
        cast(null as {{ dbt.type_string() }}) as coupon,
        cast(null as {{ dbt.type_string() }}) as coupon_id,
        currency,
        currency_exponent,
        amount as original_amount,
        amount as line_amount,
        0 as part_index,
        1 as part_count,
        cast(null as {{ dbt.type_string() }}) as deferral_mode,
        cast(null as timestamp with time zone) as synced_at
    from adjustments
    {% endif %}
),

converted as (
    select
        rows_unioned.*,
        base_exponents.exponent as base_exponent,
        exchange_rates.fx_factor,
        exchange_rates.is_estimated as is_fx_estimated,
        {% if parity -%}
        -- the reference divides three-decimal currencies by 100
        cast(power(10, least(rows_unioned.currency_exponent, 2)) as bigint) as currency_aware_divider,
        -- the converted whole line, split into equal (unrounded) parts
        cast({{ convert_minor('rows_unioned.line_amount', 'rows_unioned.currency', 'rows_unioned.currency_exponent',
                              'exchange_rates.fx_factor', 'base_exponents.exponent') }} as double)
            / rows_unioned.part_count as base_amount_exact
        {%- else -%}
        cast(power(10, rows_unioned.currency_exponent) as bigint) as currency_aware_divider,
        cast({{ convert_minor('rows_unioned.original_amount', 'rows_unioned.currency', 'rows_unioned.currency_exponent',
                              'exchange_rates.fx_factor', 'base_exponents.exponent') }} as double) as base_amount_exact
        {%- endif %}
    from rows_unioned
    cross join (
        select exponent from currency_exponents where currency = '{{ base_currency() }}'
    ) as base_exponents
    left join exchange_rates
        on exchange_rates.rate_date = cast(rows_unioned.recognized_at as date)
        and exchange_rates.currency = rows_unioned.currency
),

final as (
    select
        source_label,
        revenue_item_id,
        invoice_item_id,
        revenue_type,
        revenue_type in ('invoice_line', 'charge') as is_gross,
        recognized_at,
        created_at,
        billed_at,
        is_recurring,
        product_id,
        customer_id,
        invoice_id,
        subscription_id,
        charge_id,
        coupon,
        coupon_id,
        currency as original_currency,
        currency_exponent as original_currency_exponent,
        cast(original_amount as bigint) as original_amount,
        cast(line_amount as bigint) as line_amount,
        currency_aware_divider,
        {% if parity -%}
        cast(cast(line_amount as double) / currency_aware_divider as {{ money_type() }}) as currency_aware_amount,
        {%- else -%}
        {{ minor_to_major('original_amount', 'currency_exponent') }} as currency_aware_amount,
        {%- endif %}
        cast(part_index as integer) as part_index,
        cast(part_count as integer) as part_count,
        '{{ base_currency() }}' as currency,
        fx_factor,
        cast({{ round_half_away('base_amount_exact') }} as bigint) as amount_minor,
        {% if parity -%}
        cast(base_amount_exact / power(10, base_exponent) as {{ money_type() }}) as amount
        {%- else -%}
        {{ minor_to_major(round_half_away('base_amount_exact'), 'base_exponent') }} as amount
        {%- endif %},
        coalesce(is_fx_estimated, true) as is_fx_estimated,
        deferral_mode,
        synced_at,
        '{{ revenue_items_build_settings() }}' as build_settings
    from converted
)

select final.*, {{ built_at() }} as built_at from final
