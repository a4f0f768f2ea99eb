{{ config(tags=['persons']) }}
{# P1/P2: one row per customer with the product-analytics person it resolves to (null when none). #}
with

matches as (
    select * from {{ ref('int_customers_matched_to_persons') }}
),

final as (
    select
        source_label,
        customer_id,
        distinct_id,
        person_id,
        match_method,
        match_source
    from matches
)

select * from final
