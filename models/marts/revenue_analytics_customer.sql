{{ config(materialized='view') }}
{# Managed view (reference product: revenue_analytics_customer), over dim_customers; the matched
   product-analytics distinct id is added to metadata under var person_metadata_key (P1). #}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_persons as (
    select * from {{ ref('dim_customer_persons') }}
),

final as (
    select
        customers.customer_id as id,
        customers.source_label,
        customers.created_at as timestamp,
        customers.name,
        customers.email,
        customers.phone,
        customers.address,
        {{ json_object_with_key('customers.metadata', metadata_key_var('person_metadata_key', 'posthog_person_distinct_id'), 'customer_persons.distinct_id') }}
            as metadata,
        customers.country,
        customers.cohort,
        customers.initial_coupon,
        customers.initial_coupon_id
    from customers
    left join customer_persons
        on customers.source_label = customer_persons.source_label
        and customers.customer_id = customer_persons.customer_id
)

select * from final
