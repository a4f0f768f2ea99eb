{{ config(tags=['persons']) }}
{#
    Groups of the product-analytics input (source product_analytics.groups, or var groups_relation),
    one row per (group_type, group_key). Empty when the input is absent (product_analytics_input).
    Values trimmed, blanks null; rows without type or key dropped; a key listed twice keeps the
    smallest name.
#}
with

source as (
    {{ product_analytics_input('groups', 'groups_relation', {'group_type': true, 'group_key': true, 'name': false}) }}
),

cleaned as (
    select
        {{ blank_to_null('group_type') }} as group_type,
        {{ blank_to_null('group_key') }} as group_key,
        {{ blank_to_null('name') }} as group_name
    from source
),

ranked as (
    select
        *,
        row_number() over (partition by group_type, group_key order by group_name nulls last) as group_rank
    from cleaned
    where group_type is not null
        and group_key is not null
),

final as (
    select
        group_type,
        group_key,
        group_name
    from ranked
    where group_rank = 1
)

select * from final
