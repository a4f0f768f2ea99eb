{{ config(tags=['persons']) }}
{#
    P1/P2: one row per customer (the customers of dim_customers: the customer table plus customers
    that invoices or charges name), with the person it resolves to, first rule that applies wins:
      1 customer_metadata  the customer's metadata.<var person_metadata_key>; match_source customer::<cus>
      2 child_metadata     that key on the customer's most recently `created` subscription, charge or
                           invoice carrying it (equal created: subscription > charge > invoice, then the
                           greater id); match_source <kind>::<id>
      3 email              lower(trim(customer email)) equal to a person's; else an invoice's
                           customer_email (most recently created invoice first, then the greater id);
                           several persons with the email: the smallest person_id, then its smallest
                           distinct_id; match_source customer::<cus> or invoice::<in>
    Metadata values are trimmed; empty or spaces-only values count as absent. A metadata match stands
    even when the distinct id is not in the persons input (person_id null). Unmatched customers have
    null match columns. Children and invoices are matched within the customer's source (source_label);
    persons are shared by every source.
#}
{%- set person_key = metadata_key_var('person_metadata_key', 'posthog_person_distinct_id') %}
with

customers as {{ inlined() }} (
    select * from {{ ref('stg_stripe__customers') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

charges as {{ inlined() }} (
    select * from {{ ref('stg_stripe__charges') }}
),

invoices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoices') }}
),

persons as {{ inlined() }} (
    select * from {{ ref('stg_product_analytics__persons') }}
),

all_customers as (
    select source_label, customer_id from customers
    union
    select source_label, customer_id from invoices where customer_id is not null
    union
    select source_label, customer_id from charges where customer_id is not null
),

customer_metadata_matches as (
    select
        source_label,
        customer_id,
        {{ blank_to_null(json_object_key_text('metadata', person_key)) }} as distinct_id,
        'customer_metadata' as match_method,
        'customer::' || customer_id as match_source
    from customers
),

children as (
    select
        source_label,
        customer_id,
        'subscription' as child_kind,
        3 as child_kind_rank,
        subscription_id as child_id,
        created_at,
        {{ blank_to_null(json_object_key_text('metadata', person_key)) }} as distinct_id
    from subscriptions
    union all
    select
        source_label,
        customer_id,
        'charge' as child_kind,
        2 as child_kind_rank,
        charge_id as child_id,
        created_at,
        {{ blank_to_null(json_object_key_text('metadata', person_key)) }} as distinct_id
    from charges
    union all
    select
        source_label,
        customer_id,
        'invoice' as child_kind,
        1 as child_kind_rank,
        invoice_id as child_id,
        created_at,
        {{ blank_to_null(json_object_key_text('metadata', person_key)) }} as distinct_id
    from invoices
),

child_matches_ranked as (
    select
        source_label,
        customer_id,
        distinct_id,
        'child_metadata' as match_method,
        child_kind || '::' || child_id as match_source,
        row_number() over (
            partition by source_label, customer_id
            order by created_at desc nulls last, child_kind_rank desc, child_id desc
        ) as child_rank
    from children
    where distinct_id is not null
        and customer_id is not null
),

email_candidates as (
    select
        customers.source_label,
        customers.customer_id,
        0 as email_source_rank,
        customers.created_at as email_seen_at,
        customers.customer_id as email_object_id,
        'customer::' || customers.customer_id as match_source,
        persons.person_id,
        persons.distinct_id
    from customers
    inner join persons
        on lower({{ blank_to_null('customers.email') }}) = persons.email_normalized
    union all
    select
        invoices.source_label,
        invoices.customer_id,
        1 as email_source_rank,
        invoices.created_at as email_seen_at,
        invoices.invoice_id as email_object_id,
        'invoice::' || invoices.invoice_id as match_source,
        persons.person_id,
        persons.distinct_id
    from invoices
    inner join persons
        on lower({{ blank_to_null('invoices.customer_email') }}) = persons.email_normalized
    where invoices.customer_id is not null
),

email_matches_ranked as (
    select
        source_label,
        customer_id,
        distinct_id,
        'email' as match_method,
        match_source,
        row_number() over (
            partition by source_label, customer_id
            order by email_source_rank, email_seen_at desc nulls last, email_object_id desc, person_id, distinct_id
        ) as email_rank
    from email_candidates
),

resolved as (
    select
        all_customers.source_label,
        all_customers.customer_id,
        case
            when customer_metadata_matches.distinct_id is not null then customer_metadata_matches.distinct_id
            when child_matches_ranked.distinct_id is not null then child_matches_ranked.distinct_id
            else email_matches_ranked.distinct_id
        end as distinct_id,
        case
            when customer_metadata_matches.distinct_id is not null then customer_metadata_matches.match_method
            when child_matches_ranked.distinct_id is not null then child_matches_ranked.match_method
            else email_matches_ranked.match_method
        end as match_method,
        case
            when customer_metadata_matches.distinct_id is not null then customer_metadata_matches.match_source
            when child_matches_ranked.distinct_id is not null then child_matches_ranked.match_source
            else email_matches_ranked.match_source
        end as match_source
    from all_customers
    left join customer_metadata_matches
        on all_customers.source_label = customer_metadata_matches.source_label
        and all_customers.customer_id = customer_metadata_matches.customer_id
    left join child_matches_ranked
        on all_customers.source_label = child_matches_ranked.source_label
        and all_customers.customer_id = child_matches_ranked.customer_id
        and child_matches_ranked.child_rank = 1
    left join email_matches_ranked
        on all_customers.source_label = email_matches_ranked.source_label
        and all_customers.customer_id = email_matches_ranked.customer_id
        and email_matches_ranked.email_rank = 1
),

final as (
    select
        resolved.source_label,
        resolved.customer_id,
        resolved.distinct_id,
        persons.person_id,
        resolved.match_method,
        resolved.match_source,
        persons.distinct_id is not null as is_known_person
    from resolved
    left join persons
        on resolved.distinct_id = persons.distinct_id
)

select * from final
