{#
    The deferral schedule: every line of a paid invoice (R1) split into the parts it is recognised
    in, in the line's own currency and integer minor units (conversion is per part, later: R9).

    var('deferral') = 'monthly' (R5, reference-compatible):
        months = max(1, round_half_away(days(period_end - period_start) / 30.44));
        part i (0-based) dated date(period_start) + i months (day clamped to the month's end),
        id <line_id>_<i> when months > 1 else <line_id>.
    var('deferral') = 'daily' (R6): days [date(period_start), date(period_end)), one part per
        calendar month touched, weighted by its days (empty range: everything on date(period_start)),
        dated max(date(period_start), first of month), id <line_id>_<YYYY-MM>.
    Both: largest remainder in minor units, ties to the earlier part, sign-aware (a negative amount
    splits as the negative of the split of its absolute value), so the parts sum to the line exactly.

    Incremental: a build re-splits only the lines of invoices synced since the last one (all lines
    when var('deferral') changed); lines no longer paid are pruned. The line's attributes (customer,
    product, coupon...) are joined later (fct_revenue_items), so they are never stale here.
#}
{{ config(
    materialized='incremental',
    incremental_columns=['synced_at', 'deferral_mode', 'part_index', 'reference_line_amount', 'revenue_basis',
                         'part_end_on'],
    unique_key=['source_label', 'line_id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ prune_rows_missing_from('select source_label, line_id from ' ~ ref('int_invoice_lines_netted')
                                         ~ ' where ' ~ revenue_basis_filter(), ['source_label', 'line_id'],
                                         key_rows='part_index = 0') }}"
) }}
with

netted as {{ inlined() }} (
    select * from {{ ref('int_invoice_lines_netted') }}
),

lines as (
    select *
    from netted
    where {{ revenue_basis_filter() }}
    {% if is_incremental() %}
        and (
            -- every line of an invoice synced since the last build (R2 allocates over the whole invoice)
            exists (
                select 1 from netted as changed
                where changed.source_label = netted.source_label
                    and changed.invoice_id = netted.invoice_id
                    and changed.synced_at > {{ incremental_watermark('synced_at') }}
            )
            -- or everything, when the deferral mode or the revenue basis changed
            or not exists (select 1 from {{ this }} where deferral_mode = '{{ deferral_mode() }}'
                                                      and revenue_basis = '{{ revenue_basis() }}')
        )
    {% endif %}
),

spans as (
    select
        *,
        cast(period_start_at as date) as start_date,
        cast(period_end_at as date) as end_date,
        abs(net_amount) as abs_amount,
        case when net_amount < 0 then -1 else 1 end as amount_sign
    from lines
),

{% if deferral_mode() == 'daily' %}

months_touched as (
    select
        spans.*,
        {{ days_between('start_date', 'end_date') }} as total_days,
        {{ integer_series_unnest(
            'case when end_date > start_date then '
            ~ '12 * (extract(year from end_date - 1) - extract(year from start_date)) '
            ~ '+ extract(month from end_date - 1) - extract(month from start_date) + 1 else 1 end',
            'part_index') }}
    from spans
),

part_days as (
    select
        *,
        {{ add_months(month_start('start_date'), 'part_index') }} as part_month,
        case
            when total_days <= 0 then 1
            else {{ days_between(
                'greatest(start_date, ' ~ add_months(month_start('start_date'), 'part_index') ~ ')',
                'least(end_date, ' ~ add_months(month_start('start_date'), 'part_index + 1') ~ ')') }}
        end as part_days,
        greatest(total_days, 1) as weight_total
    from months_touched
),

floor_parts as (
    select
        *,
        greatest(start_date, part_month) as part_date,
        {{ int_div('cast(abs_amount as ' ~ wide_integer_type() ~ ') * part_days', 'weight_total') }} as floor_part,
        {{ int_mod('cast(abs_amount as ' ~ wide_integer_type() ~ ') * part_days', 'weight_total') }} as remainder
    from part_days
),

parts as (
    select
        *,
        line_id || '_' || {{ year_month('part_date') }} as revenue_item_id,
        count(*) over (partition by source_label, line_id) as part_count,
        row_number() over (partition by source_label, line_id order by remainder desc, part_index) as remainder_rank,
        abs_amount - sum(floor_part) over (partition by source_label, line_id) as units_left
    from floor_parts
),

{% else %}

month_counts as (
    select
        spans.*,
        greatest(1, cast({{ round_half_away(days_between('start_date', 'end_date') ~ ' / 30.44') }} as integer)) as part_count
    from spans
),

exploded as (
    select
        *,
        {{ integer_series_unnest('part_count', 'part_index') }}
    from month_counts
),

parts as (
    select
        *,
        {{ add_months('start_date', 'part_index') }} as part_date,
        case when part_count > 1 then line_id || '_' || cast(part_index as {{ dbt.type_string() }}) else line_id end
            as revenue_item_id,
        {{ int_div('abs_amount', 'part_count') }} as floor_part,
        -- equal weights: the remainder's units go one each to the earliest parts
        part_index + 1 as remainder_rank,
        {{ int_mod('abs_amount', 'part_count') }} as units_left
    from exploded
),

{% endif %}

final as (
    select
        source_label,
        revenue_item_id,
        line_id,
        invoice_id,
        cast(part_index as integer) as part_index,
        cast(part_count as integer) as part_count,
        cast(part_date as date) as recognized_on,
        cast(amount_sign * (floor_part + case when remainder_rank <= units_left then 1 else 0 end) as bigint)
            as amount,
        net_amount as line_amount,
        reference_net_amount as reference_line_amount,
        -- the day after the part's last day (daily deferral: an event inside it splits it, R10);
        -- monthly deferral recognises a part whole on its date
        {% if deferral_mode() == 'daily' -%}
        cast(case when total_days <= 0 then {{ dbt.dateadd('day', 1, 'start_date') }}
                  else least(end_date, {{ add_months(month_start('start_date'), 'part_index + 1') }}) end as date)
        {%- else -%}
        cast(null as date)
        {%- endif %} as part_end_on,
        '{{ deferral_mode() }}' as deferral_mode,
        '{{ revenue_basis() }}' as revenue_basis,
        synced_at
    from parts
)

select final.*, {{ built_at() }} as built_at from final
