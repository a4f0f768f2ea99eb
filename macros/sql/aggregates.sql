{#
    The value of `value` on the row with the smallest / largest `ordering` in the group (ties are
    broken by making `ordering` unique, e.g. a row of (timestamp, id)). dbt has no cross-database
    macro for it (DECISIONS.md X1).
#}
{% macro arg_min_by(value, ordering) -%}
    {{ return(adapter.dispatch('arg_min_by', 'stripe_revenue')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_min_by(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}

{#- Postgres has no min_by: the first of the values ordered (a row value orders field by field) -#}
{% macro postgres__arg_min_by(value, ordering) -%}
    (array_agg({{ value }} order by {{ ordering }}))[1]
{%- endmacro %}

{#- min_by is not standard SQL, but Spark, Databricks, Trino and Snowflake have it -#}
{% macro default__arg_min_by(value, ordering) -%}
    min_by({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro arg_max_by(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max_by', 'stripe_revenue')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_max_by(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro postgres__arg_max_by(value, ordering) -%}
    (array_agg({{ value }} order by {{ ordering }} desc))[1]
{%- endmacro %}

{% macro default__arg_max_by(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}
