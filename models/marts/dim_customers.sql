{#
    One row per customer: the Stripe customer, or, for a customer that invoices or charges name but
    the customer table lacks (deleted before the first sync: Stripe lists only live customers), a
    stub from the latest invoice's customer_* fields (is_stub). cohort = month of the first
    finalized invoice (status not draft or void), initial coupon = that invoice's first coupon.
#}
with

customers as {{ inlined() }} (
    select * from {{ ref('stg_stripe__customers') }}
),

invoices as {{ inlined() }} (
    select * from {{ ref('stg_stripe__invoices') }}
),

charges as (
    select * from {{ ref('stg_stripe__charges') }}
),

invoice_lines as (
    select * from {{ ref('int_invoice_lines_netted') }}
),

-- each customer's first and latest finalized invoice (created_at, then invoice id): one aggregation
-- instead of two window sorts over every invoice (30x faster on a million invoices)
invoice_ends as (
    select
        source_label,
        customer_id,
        {{ arg_min_by('invoice_id', '(created_at, invoice_id)') }} as first_invoice_id,
        {{ arg_max_by('invoice_id', '(created_at, invoice_id)') }} as latest_invoice_id
    from invoices
    where status not in ('draft', 'void')
        and customer_id is not null
    group by source_label, customer_id
),

first_invoices as (
    select invoices.source_label, invoices.customer_id, invoices.invoice_id, invoices.created_at
    from invoices
    inner join invoice_ends
        on invoices.source_label = invoice_ends.source_label
        and invoices.invoice_id = invoice_ends.first_invoice_id
),

first_invoice_coupons as (
    select
        invoice_lines.source_label,
        invoice_lines.invoice_id,
        invoice_lines.coupon,
        invoice_lines.coupon_id,
        row_number() over (
            partition by invoice_lines.source_label, invoice_lines.invoice_id
            order by invoice_lines.line_index nulls last, invoice_lines.line_id
        ) as coupon_rank
    from invoice_lines
    inner join first_invoices
        on invoice_lines.source_label = first_invoices.source_label
        and invoice_lines.invoice_id = first_invoices.invoice_id
    where invoice_lines.coupon_id is not null
),

latest_invoices as (
    select
        invoices.source_label,
        invoices.customer_id,
        invoices.customer_name,
        invoices.customer_email,
        invoices.customer_country,
        invoices.currency
    from invoices
    inner join invoice_ends
        on invoices.source_label = invoice_ends.source_label
        and invoices.invoice_id = invoice_ends.latest_invoice_id
),

known as (
    select
        customers.source_label,
        customers.customer_id,
        customers.created_at,
        -- a deleted customer may be stored as Stripe's deletion stub: its last invoice still names it
        coalesce(customers.name, latest_invoices.customer_name) as name,
        coalesce(customers.email, latest_invoices.customer_email) as email,
        customers.phone,
        customers.address,
        customers.metadata,
        coalesce(customers.country, latest_invoices.customer_country) as country,
        customers.currency,
        customers.is_deleted,
        false as is_stub
    from customers
    left join latest_invoices
        on customers.source_label = latest_invoices.source_label
        and customers.customer_id = latest_invoices.customer_id
),

referenced as (
    select source_label, customer_id, min(created_at) as first_seen_at from invoices where customer_id is not null
    group by source_label, customer_id
    union all
    select source_label, customer_id, min(created_at) as first_seen_at from charges where customer_id is not null
    group by source_label, customer_id
),

stubs as (
    select
        referenced.source_label,
        referenced.customer_id,
        min(referenced.first_seen_at) as created_at,
        max(latest_invoices.customer_name) as name,
        max(latest_invoices.customer_email) as email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as {{ dbt.type_string() }}) as address,
        cast(null as {{ dbt.type_string() }}) as metadata,
        max(latest_invoices.customer_country) as country,
        max(latest_invoices.currency) as currency,
        true as is_deleted,
        true as is_stub
    from referenced
    left join latest_invoices
        on referenced.source_label = latest_invoices.source_label
        and referenced.customer_id = latest_invoices.customer_id
    where not exists (
        select 1 from customers
        where customers.source_label = referenced.source_label
            and customers.customer_id = referenced.customer_id
    )
    group by referenced.source_label, referenced.customer_id
),

all_customers as (
    select * from known
    union all
    select * from stubs
),

final as (
    select
        all_customers.source_label,
        all_customers.customer_id,
        all_customers.created_at,
        all_customers.name,
        all_customers.email,
        all_customers.phone,
        cast(all_customers.address as {{ type_json_column() }}) as address,
        cast(all_customers.metadata as {{ type_json_column() }}) as metadata,
        all_customers.country,
        all_customers.currency,
        first_invoices.created_at as first_invoice_at,
        {{ year_month('first_invoices.created_at') }} as cohort,
        first_invoice_coupons.coupon as initial_coupon,
        first_invoice_coupons.coupon_id as initial_coupon_id,
        all_customers.is_deleted,
        all_customers.is_stub
    from all_customers
    left join first_invoices
        on all_customers.source_label = first_invoices.source_label
        and all_customers.customer_id = first_invoices.customer_id
    left join first_invoice_coupons
        on first_invoices.source_label = first_invoice_coupons.source_label
        and first_invoices.invoice_id = first_invoice_coupons.invoice_id
        and first_invoice_coupons.coupon_rank = 1
)

select * from final
