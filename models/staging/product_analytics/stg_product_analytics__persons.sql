{{ config(tags=['persons']) }}
{#
    Persons of the product-analytics input (source product_analytics.persons, or var persons_relation),
    one row per distinct id. Empty when the input is absent (product_analytics_input).
    Ids and emails are trimmed, blanks are null; `email_normalized` = lower(trim(email)) (P2).
    Rows without distinct_id or person_id are dropped; a distinct id listed twice keeps the smallest
    person_id. `group_property_value` is the person property named by var group_person_property
    (the group fallback of P3), null when the var is unset or the input lacks that column.
#}
{%- set group_property = var('group_person_property', none) %}
with

source as (
    {%- set columns = {'distinct_id': true, 'person_id': true, 'email': false} %}
    {%- if group_property %}{% do columns.update({group_property: false}) %}{% endif %}
    {{ product_analytics_input('persons', 'persons_relation', columns) }}
),

cleaned as (
    select
        {{ blank_to_null('distinct_id') }} as distinct_id,
        {{ blank_to_null('person_id') }} as person_id,
        {{ blank_to_null('email') }} as email,
        lower({{ blank_to_null('email') }}) as email_normalized,
        {% if group_property -%}
        {{ blank_to_null(group_property) }} as group_property_value
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as group_property_value
        {%- endif %}
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by distinct_id
            order by person_id, email_normalized nulls last, group_property_value nulls last
        ) as distinct_id_rank
    from cleaned
    where distinct_id is not null
        and person_id is not null
),

final as (
    select
        distinct_id,
        person_id,
        email,
        email_normalized,
        group_property_value
    from ranked
    where distinct_id_rank = 1
)

select * from final
