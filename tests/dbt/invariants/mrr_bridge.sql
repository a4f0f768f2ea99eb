-- M2, every customer, every month: start + new + expansion + reactivation - contraction - churn + fx = end,
-- start = the previous month's end, and every customer with MRR at a month end has a row for that
-- month and for the next one (its churn, when it goes to 0). Rows without an exchange rate
-- (movement 'unconverted') are reported by the rate test, not here.
with

movements as {{ inlined() }} (
    select * from {{ ref('fct_mrr_movements') }}
),

bridge as (
    select source_label, customer_id, month_start, 'bridge does not add up' as problem
    from movements
    where movement <> 'unconverted'
        and starting_mrr_minor + new_mrr_minor + expansion_mrr_minor + reactivation_mrr_minor
            - contraction_mrr_minor - churned_mrr_minor + fx_mrr_minor <> ending_mrr_minor
),

continuity as (
    select current_month.source_label, current_month.customer_id, current_month.month_start,
        'start is not the previous end' as problem
    from movements as current_month
    left join movements as previous
        on current_month.source_label = previous.source_label
        and current_month.customer_id = previous.customer_id
        and previous.month_start = {{ add_months('current_month.month_start', -1) }}
    where current_month.movement <> 'unconverted'
        and current_month.starting_mrr_minor <> coalesce(previous.ending_mrr_minor, 0)
),

-- the contributions of customer-months without a movement row, then those with MRR: the same rows as
-- grouping every contribution first, at half the cost (few rows survive the anti-join)
missing as (
    select contributions.source_label, contributions.customer_id, contributions.month_start,
        'customer with MRR has no movement row' as problem
    from {{ ref('int_mrr_contributions_computed') }} as contributions
    where not exists (
        select 1
        from movements
        where movements.source_label = contributions.source_label
            and movements.customer_id = contributions.customer_id
            and movements.month_start = contributions.month_start
    )
    group by contributions.source_label, contributions.customer_id, contributions.month_start, contributions.currency
    having sum(contributions.mrr) > 0
)

select * from bridge
union all
select * from continuity
union all
select * from missing
