{{ config(tags=['persons']) }}
{#
    P3: one row per customer (same customers as int_customers_matched_to_persons) with its group of
    type var group_type (default company), first rule that applies wins:
      1 customer_metadata  the customer's metadata.<var group_metadata_key> (default company_id);
                           match_source customer::<cus>
      2 person_property    only when var group_person_property is set: that property of the person the
                           customer resolves to (P1/P2), through the matched distinct id's persons row;
                           match_source person::<person_id>
    Values trimmed, blanks absent. A key not in the groups input still maps (group_name null).
    Unmatched customers have null group columns.
#}
{%- set group_key = metadata_key_var('group_metadata_key', 'company_id') %}
{%- set group_type = label_var('group_type', 'company') %}
with

customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

customer_persons as {{ inlined() }} (
    select * from {{ ref('int_customers_matched_to_persons') }}
),

persons as (
    select * from {{ ref('stg_product_analytics__persons') }}
),

groups_input as (
    select * from {{ ref('stg_product_analytics__groups') }}
),

metadata_groups as (
    select
        source_label,
        customer_id,
        {{ blank_to_null(json_object_key_text('metadata', group_key)) }} as group_key
    from customers
),

property_groups as (
    select
        customer_persons.source_label,
        customer_persons.customer_id,
        persons.group_property_value as group_key,
        persons.person_id
    from customer_persons
    inner join persons
        on customer_persons.distinct_id = persons.distinct_id
    {%- if not var('group_person_property', none) %}
    where 1 = 0
    {%- endif %}
),

resolved as (
    select
        customer_persons.source_label,
        customer_persons.customer_id,
        coalesce(metadata_groups.group_key, property_groups.group_key) as group_key,
        case
            when metadata_groups.group_key is not null then 'customer_metadata'
            when property_groups.group_key is not null then 'person_property'
        end as match_method,
        case
            when metadata_groups.group_key is not null then 'customer::' || customer_persons.customer_id
            when property_groups.group_key is not null then 'person::' || property_groups.person_id
        end as match_source
    from customer_persons
    left join metadata_groups
        on customer_persons.source_label = metadata_groups.source_label
        and customer_persons.customer_id = metadata_groups.customer_id
    left join property_groups
        on customer_persons.source_label = property_groups.source_label
        and customer_persons.customer_id = property_groups.customer_id
),

final as (
    select
        resolved.source_label,
        resolved.customer_id,
        case when resolved.group_key is not null then '{{ group_type }}' end as group_type,
        resolved.group_key,
        groups_input.group_name,
        resolved.match_method,
        resolved.match_source,
        groups_input.group_key is not null as is_known_group
    from resolved
    left join groups_input
        on groups_input.group_type = '{{ group_type }}'
        and resolved.group_key = groups_input.group_key
)

select * from final
