{#
    The value of `value` on the row with the smallest / largest `ordering` in the group (ties are
    broken by making `ordering` unique, e.g. a row of (timestamp, id)).
#}
{% macro arg_min_by(value, ordering) -%}
    {{ return(adapter.dispatch('arg_min_by', 'stripe_revenue')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_min_by(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__arg_min_by(value, ordering) -%}
    min_by({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro arg_max_by(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max_by', 'stripe_revenue')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_max_by(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__arg_max_by(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}
