{#
    Custom schemas are used as they are (staging, intermediate, revenue_analytics, reference),
    not prefixed with the target schema: the managed views must live in `revenue_analytics`
    whatever the profile's schema is. Models without a custom schema go to the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
