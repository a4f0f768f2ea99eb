{#
    `name as {{ inlined() }} (select * from {{ ref(...) }})`: a CTE that only names a table, used
    more than once in its model. DuckDB (like Postgres) materializes a CTE referenced more than
    once: every row and every column of the table, before anything is filtered or joined (a quarter
    of a second for a million invoices). Inlined, each use scans only its columns, with its filters
    pushed into the scan (S10).
#}
{% macro inlined() -%}
    {{ return(adapter.dispatch('inlined', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro duckdb__inlined() -%}
    not materialized
{%- endmacro %}

{% macro postgres__inlined() -%}
    not materialized
{%- endmacro %}

{% macro default__inlined() -%}
{%- endmacro %}
