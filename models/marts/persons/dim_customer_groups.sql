{{ config(tags=['persons']) }}
{# P3: one row per customer with its group (var group_type), null when none. #}
with

matches as (
    select * from {{ ref('int_customers_matched_to_groups') }}
),

final as (
    select
        source_label,
        customer_id,
        group_type,
        group_key,
        group_name,
        match_method,
        match_source
    from matches
)

select * from final
