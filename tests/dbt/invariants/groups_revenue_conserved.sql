-- P3: revenue is conserved between customers and groups (macros/revenue/revenue_conserved.sql).
{{ config(tags=['persons']) }}
{{ revenue_conserved('dim_customer_groups', 'group_key', 'groups_revenue_analytics') }}
