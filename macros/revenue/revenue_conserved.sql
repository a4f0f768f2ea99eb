{#
    P3: revenue is conserved between customers and the entities they map to (persons, groups): for
    revenue and revenue_last_30_days (minor units, fct_revenue_items up to / in the 30 days ending at
    the as-of instant) and MRR (revenue_analytics_mrr), the sum over `summary_model` plus the part of
    customers without a match (null `key_column` in `mapping_model`, or no customer at all) equals the
    total. Computed from the revenue rows, not from fct_customer_revenue, so a customer counted twice
    or lost fails. A data test: any row returned is a failure.
#}
{% macro revenue_conserved(mapping_model, key_column, summary_model) %}
with

clock as (
    select max(as_of_at) as as_of_at from {{ ref('int_months_spanned') }}
),

customer_matches as (
    select * from {{ ref(mapping_model) }} where {{ key_column }} is not null
),

items as (
    select
        items.amount_minor,
        customer_matches.{{ key_column }} is null as is_unmatched,
        items.recognized_at <= clock.as_of_at as is_to_date,
        items.recognized_at <= clock.as_of_at
            and items.recognized_at > {{ dbt.dateadd('day', -30, 'clock.as_of_at') }} as is_last_30_days
    from {{ ref('fct_revenue_items') }} as items
    cross join clock
    left join customer_matches
        on items.source_label = customer_matches.source_label
        and items.customer_id = customer_matches.customer_id
),

mrr as (
    select
        subscription_mrr.mrr,
        customer_matches.{{ key_column }} is null as is_unmatched
    from {{ ref('revenue_analytics_mrr') }} as subscription_mrr
    left join customer_matches
        on subscription_mrr.source_label = customer_matches.source_label
        and subscription_mrr.customer_id = customer_matches.customer_id
),

expected as (
    select
        coalesce(sum(case when is_to_date then amount_minor end), 0) as revenue_total,
        coalesce(sum(case when is_to_date and is_unmatched then amount_minor end), 0) as revenue_unmatched,
        coalesce(sum(case when is_last_30_days then amount_minor end), 0) as last_30_days_total,
        coalesce(sum(case when is_last_30_days and is_unmatched then amount_minor end), 0) as last_30_days_unmatched
    from items
),

expected_mrr as (
    select
        coalesce(sum(mrr), 0) as mrr_total,
        coalesce(sum(case when is_unmatched then mrr end), 0) as mrr_unmatched
    from mrr
),

matched as (
    select
        coalesce(sum(revenue_minor), 0) as revenue_matched,
        coalesce(sum(revenue_last_30_days_minor), 0) as last_30_days_matched,
        coalesce(sum(mrr), 0) as mrr_matched
    from {{ ref(summary_model) }}
)

select *
from expected
cross join expected_mrr
cross join matched
where revenue_matched + revenue_unmatched != revenue_total
    or last_30_days_matched + last_30_days_unmatched != last_30_days_total
    or mrr_matched + mrr_unmatched != mrr_total
{% endmacro %}
