-- P1: dim_customer_persons and dim_customer_groups hold exactly the customers of dim_customers (one
-- person and one group at most per customer, none lost), so joining them to the customer views never
-- drops or adds customers.
{{ config(tags=['persons']) }}
with

customers as (
    select source_label, customer_id from {{ ref('dim_customers') }}
),

customer_persons as (
    select source_label, customer_id from {{ ref('dim_customer_persons') }}
),

customer_groups as (
    select source_label, customer_id from {{ ref('dim_customer_groups') }}
),

missing_or_extra as (
    (select 'missing from dim_customer_persons' as problem, * from customers
     except select 'missing from dim_customer_persons', * from customer_persons)
    union all
    (select 'not in dim_customers' as problem, * from customer_persons
     except select 'not in dim_customers', * from customers)
    union all
    (select 'missing from dim_customer_groups' as problem, * from customers
     except select 'missing from dim_customer_groups', * from customer_groups)
    union all
    (select 'not in dim_customers' as problem, * from customer_groups
     except select 'not in dim_customers', * from customers)
)

select * from missing_or_extra
