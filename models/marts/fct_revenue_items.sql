{#
    Every revenue row, converted to the base currency per row at its own date (R9, D4):
      invoice_line  the recognised parts of the lines of the invoices the revenue basis counts (R1-R6),
                    as reversals shrank them (R10: int_revenue_reversed)
      charge        succeeded charges without an invoice, on the charge date, not deferred (R7; toggle
                    include_invoiceless_charges)
      refund, credit_note, dispute, void, bad_debt   contra revenue (R10, R11), one row per line and
                    event, dated when it happens: `original_amount` is the revenue taken back
                    (negative; positive when a recovery gives it back); the deferred revenue the event
                    cleared, the recovered gain and the other loss ride in their own columns
    var('reference_parity') = true restores the reference product's gross behaviour: credit lines
    clamped to 0, is_recurring per invoice, three-decimal currencies divided by 100, each monthly
    part = the converted line / number of parts (not summing exactly), currency_aware_amount = the
    whole line on every part, and no reversals (paid basis, monthly deferral: R12).

    Incremental (S8): a build rebuilds the rows of invoice lines and charges synced since the last
    build (synced_at), every row of a reversed invoice or charge and every reversal row (few), and the
    rows converted at an estimated rate (dated after the currency's latest published rate); everything when the settings
    in build_settings changed. The pre-hook first keeps and deletes those rows; the post-hook logs the
    months of the rows that changed for the monthly facts (macros/build/revenue_item_changes.sql).
#}
{{ config(
    materialized='incremental',
    incremental_columns=['synced_at', 'build_settings', 'is_fx_estimated', 'is_reversed'],
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ revenue_items_delete_rebuilt() }}",
    post_hook="{{ revenue_items_log_changes() }}"
) }}
{%- set parity = var('reference_parity', false) %}
{%- set scope = revenue_items_rebuild_scope() %}
with

{% if not parity -%}
reversed as (
    select * from {{ ref('int_revenue_reversed') }}
),

reversed_invoices as (
    select distinct source_label, subject_id as invoice_id from reversed where subject_type = 'invoice'
),
{%- endif %}

all_deferred_parts as {{ inlined() }} (
    select * from {{ ref('int_invoice_lines_deferred') }}
),

-- the parts of lines no reversal touched, as the schedule has them (R5, R6)
deferred_parts as (
    select * from all_deferred_parts
    where true
    {%- if not parity %}
        and not exists (
            select 1 from reversed_invoices
            where reversed_invoices.source_label = all_deferred_parts.source_label
                and reversed_invoices.invoice_id = all_deferred_parts.invoice_id
        )
    {%- endif %}
    {% if scope.incremental -%}
    -- narrowed before the join with the lines; the exact scope is applied after it
        and ({{ revenue_items_fx_rebuilt(scope, none, 'recognized_on') }}
            or line_id in (
                select line_id from {{ ref('int_invoice_lines_netted') }} where inputs_synced_at > {{ scope.since }}
            )
            -- reversed before, no longer: its rows as the schedule has them again
            or line_id in (select invoice_item_id from {{ this }} where is_reversed and revenue_type = 'invoice_line'))
    {%- endif %}
),

line_parts as (
    select
        source_label, revenue_item_id, line_id, recognized_on, amount, line_amount, reference_line_amount,
        part_index, part_count, false as is_reversed
    from deferred_parts
    {%- if not parity %}
    union all
    -- the parts of the lines of reversed invoices, as the reversals shrank them (R10); all rebuilt every build
    select
        reversed.source_label, reversed.revenue_item_id, reversed.line_id, all_deferred_parts.recognized_on,
        reversed.gross_amount as amount, all_deferred_parts.line_amount, all_deferred_parts.reference_line_amount,
        all_deferred_parts.part_index, all_deferred_parts.part_count, true as is_reversed
    from reversed
    inner join all_deferred_parts
        on reversed.source_label = all_deferred_parts.source_label
        and reversed.revenue_item_id = all_deferred_parts.revenue_item_id
    where reversed.row_type = 'part'
    {%- endif %}
),

invoice_lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
),

deferred_lines as (
    select
        line_parts.source_label,
        line_parts.revenue_item_id,
        line_parts.line_id,
        line_parts.recognized_on,
        line_parts.amount,
        line_parts.line_amount,
        line_parts.reference_line_amount,
        line_parts.part_index,
        line_parts.part_count,
        line_parts.is_reversed,
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
        -- R1: billed when finalized (finalized basis) or paid (paid basis)
        {{ billed_at_of('invoice_lines') }} as billed_at,
        invoice_lines.inputs_synced_at as synced_at
    from line_parts
    inner join invoice_lines
        on line_parts.source_label = invoice_lines.source_label
        and line_parts.line_id = invoice_lines.line_id
    {% if scope.incremental -%}
    where line_parts.is_reversed
        or invoice_lines.inputs_synced_at > {{ scope.since }}
        or {{ revenue_items_fx_rebuilt(scope, 'invoice_lines.currency', 'line_parts.recognized_on') }}
        or line_parts.line_id in (select invoice_item_id from {{ this }} where is_reversed and revenue_type = 'invoice_line')
    {%- endif %}
),

charges as (
    select * from {{ ref('int_charges_linked') }}
),

{%- if not parity %}
-- R10 / R11: one row per line and event, with what the line's invoice (or the charge) was
reversal_rows as (
    select
        reversed.source_label,
        reversed.revenue_item_id,
        reversed.line_id as invoice_item_id,
        reversed.category as revenue_type,
        reversed.occurred_at,
        coalesce(invoice_lines.is_recurring, false) as is_recurring,
        invoice_lines.product_id,
        coalesce(invoice_lines.customer_id, subject_charges.customer_id) as customer_id,
        case when reversed.subject_type = 'invoice' then reversed.subject_id end as invoice_id,
        invoice_lines.subscription_id,
        case when reversed.subject_type = 'charge' then reversed.subject_id end as charge_id,
        coalesce(invoice_lines.currency, subject_charges.currency) as currency,
        coalesce(invoice_lines.currency_exponent, subject_charges.currency_exponent) as currency_exponent,
        -reversed.contra_amount as amount,
        reversed.cleared_amount,
        reversed.recovered_amount,
        reversed.other_loss_amount
    from reversed
    left join invoice_lines
        on reversed.subject_type = 'invoice'
        and reversed.source_label = invoice_lines.source_label
        and reversed.line_id = invoice_lines.line_id
    left join charges as subject_charges
        on reversed.subject_type = 'charge'
        and reversed.source_label = subject_charges.source_label
        and reversed.subject_id = subject_charges.charge_id
    where reversed.row_type = 'event'
),
{%- endif %}

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
        is_reversed,
        0 as cleared_amount,
        0 as recovered_amount,
        0 as other_loss_amount,
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
        false as is_reversed,
        0 as cleared_amount,
        0 as recovered_amount,
        0 as other_loss_amount,
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
        revenue_item_id,
        invoice_item_id,
        revenue_type,
        occurred_at as recognized_at,
        occurred_at as created_at,
        occurred_at as billed_at,
        is_recurring,
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
        true as is_reversed,
        cleared_amount,
        recovered_amount,
        other_loss_amount,
        cast(null as {{ type_timestamptz() }}) as synced_at
    from reversal_rows
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
                              'exchange_rates.fx_factor', 'base_exponents.exponent') }} as {{ type_double() }})
            / rows_unioned.part_count as base_amount_exact
        {%- else -%}
        cast(power(10, rows_unioned.currency_exponent) as bigint) as currency_aware_divider,
        cast({{ convert_minor('rows_unioned.original_amount', 'rows_unioned.currency', 'rows_unioned.currency_exponent',
                              'exchange_rates.fx_factor', 'base_exponents.exponent') }} as {{ type_double() }}) as base_amount_exact
        {%- endif %},
        {%- for column in ['cleared_amount', 'recovered_amount', 'other_loss_amount'] %}
        {{ convert_minor('rows_unioned.' ~ column, 'rows_unioned.currency', 'rows_unioned.currency_exponent',
                         'exchange_rates.fx_factor', 'base_exponents.exponent') }} as {{ column }}_minor{{ ',' if not loop.last }}
        {%- endfor %}
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
        cast(cast(line_amount as {{ type_double() }}) / currency_aware_divider as {{ money_type() }}) as currency_aware_amount,
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
        is_reversed,
        -- R10 / R11, not revenue: deferred revenue the row's event cleared, gain recovered, money returned
        -- beyond what was paid; original minor units and base minor units
        cast(cleared_amount as bigint) as original_cleared_amount,
        cast(cleared_amount_minor as bigint) as cleared_amount_minor,
        cast(recovered_amount as bigint) as original_recovered_amount,
        cast(recovered_amount_minor as bigint) as recovered_amount_minor,
        cast(other_loss_amount as bigint) as original_other_loss_amount,
        cast(other_loss_amount_minor as bigint) as other_loss_amount_minor,
        synced_at,
        '{{ revenue_items_build_settings() }}' as build_settings
    from converted
)

select final.*, {{ built_at() }} as built_at from final
