{{ config(severity='warn') }}
-- D4: every revenue row, charge and MRR amount has an exchange rate for its currency and date.
-- A currency without a rate stays visible (amount null), never zero: this test warns with the
-- currencies and dates to add to reference.exchange_rate.
with

revenue as (
    select 'fct_revenue_items' as model, original_currency as currency,
        min(cast(recognized_at as date)) as first_date, max(cast(recognized_at as date)) as last_date, count(*) as rows_without_rate
    from {{ ref('fct_revenue_items') }}
    where amount is null
    group by original_currency
),

charges as (
    select 'revenue_analytics_charge' as model, original_currency as currency,
        min(cast(timestamp as date)) as first_date, max(cast(timestamp as date)) as last_date, count(*) as rows_without_rate
    from {{ ref('revenue_analytics_charge') }}
    where amount is null
    group by original_currency
),

mrr as (
    select 'fct_mrr_movements' as model, 'see int_mrr_contributions_computed' as currency,
        min(month_start) as first_date, max(month_start) as last_date, count(*) as rows_without_rate
    from {{ ref('fct_mrr_movements') }}
    where movement = 'unconverted'
    having count(*) > 0
)

select * from revenue
union all
select * from charges
union all
select * from mrr
