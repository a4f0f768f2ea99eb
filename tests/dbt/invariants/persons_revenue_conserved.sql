-- P3: revenue is conserved between customers and persons (macros/revenue/revenue_conserved.sql).
{{ config(tags=['persons']) }}
{{ revenue_conserved('dim_customer_persons', 'person_id', 'persons_revenue_analytics') }}
