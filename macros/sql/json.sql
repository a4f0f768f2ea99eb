{#
    JSON access to the raw `data` column (DECISIONS.md D2). Paths are dotted keys,
    numeric segments index arrays: 'parent.subscription_details.subscription', 'items.data.0.price'.

    json_extract_fields() is the workhorse of the staging views: it parses each document ONCE and
    returns every requested path as text (numbers, booleans as their JSON text, objects and arrays
    as JSON text, JSON null as SQL null). On DuckDB one list extraction is ~15x faster than one
    extraction per field, which is what keeps staging cheap at a million invoices.
    A field given a list of paths takes the first non-null (how both API shapes are coalesced:
    `['pricing.price_details.price', 'price.id', 'price']`).
#}

{% macro _json_path_duckdb(path) -%}
    {%- if path == '' -%}{{ return('$') }}{%- endif -%}
    {%- set ns = namespace(out='$') -%}
    {%- for segment in path.split('.') -%}
        {%- if segment is number or segment.isdigit() -%}
            {%- set ns.out = ns.out ~ '[' ~ segment ~ ']' -%}
        {%- else -%}
            {%- set ns.out = ns.out ~ '.' ~ segment -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.out) }}
{%- endmacro %}

{% macro _json_path_postgres(path) -%}
    {{ return("'{" ~ path.split('.') | join(',') ~ "}'") }}
{%- endmacro %}


{# select <keep columns>, <one text column per field> from <from_relation> #}
{% macro json_extract_fields(from_relation, json_column, fields, keep) -%}
    {{ return(adapter.dispatch('json_extract_fields', 'stripe_revenue')(from_relation, json_column, fields, keep)) }}
{%- endmacro %}

{% macro duckdb__json_extract_fields(from_relation, json_column, fields, keep) -%}
    {%- set paths = [] -%}
    {%- set exprs = [] -%}
    {%- for name, spec in fields.items() -%}
        {%- set spec_paths = [spec] if spec is string else spec -%}
        {%- set refs = [] -%}
        {%- for p in spec_paths -%}
            {%- if p not in paths -%}{%- do paths.append(p) -%}{%- endif -%}
            {%- do refs.append('_j[' ~ (paths.index(p) + 1) ~ ']') -%}
        {%- endfor -%}
        {%- if refs | length == 1 -%}
            {%- do exprs.append(refs[0] ~ ' as ' ~ name) -%}
        {%- else -%}
            {%- do exprs.append('coalesce(' ~ refs | join(', ') ~ ') as ' ~ name) -%}
        {%- endif -%}
    {%- endfor %}
    select
        {% for column in keep %}{{ column }},
        {% endfor -%}
        {{ exprs | join(',\n        ') }}
    from (
        select *, json_extract_string({{ json_column }}, [
            {%- for p in paths %}'{{ _json_path_duckdb(p) }}'{{ ', ' if not loop.last }}{% endfor -%}
        ]) as _j
        from {{ from_relation }}
    ) as _json_extracted
{%- endmacro %}

{% macro default__json_extract_fields(from_relation, json_column, fields, keep) -%}
    select
        {% for column in keep %}{{ column }},
        {% endfor -%}
        {% for name, spec in fields.items() -%}
        {%- set spec_paths = [spec] if spec is string else spec -%}
        coalesce({% for p in spec_paths %}cast({{ json_column }} as jsonb) #>> {{ _json_path_postgres(p) }}{{ ', ' if not loop.last }}{% endfor %}, null) as {{ name }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ from_relation }}
{%- endmacro %}


{# one path as text (parses the document again: use for columns read rarely) #}
{% macro json_extract_text(json_column, path) -%}
    {{ return(adapter.dispatch('json_extract_text', 'stripe_revenue')(json_column, path)) }}
{%- endmacro %}

{% macro duckdb__json_extract_text(json_column, path) -%}
    json_extract_string({{ json_column }}, '{{ _json_path_duckdb(path) }}')
{%- endmacro %}

{% macro default__json_extract_text(json_column, path) -%}
    (cast({{ json_column }} as jsonb) #>> {{ _json_path_postgres(path) }})
{%- endmacro %}


{# sum of an integer key over the objects of a JSON array (text): discount_amounts[].amount #}
{% macro json_array_sum(json_array_text, key) -%}
    {{ return(adapter.dispatch('json_array_sum', 'stripe_revenue')(json_array_text, key)) }}
{%- endmacro %}

{% macro duckdb__json_array_sum(json_array_text, key) -%}
    coalesce(list_sum(try_cast(json_extract_string({{ json_array_text }}, '$[*].{{ key }}') as bigint[])), 0)
{%- endmacro %}

{% macro default__json_array_sum(json_array_text, key) -%}
    coalesce((select sum(cast(e ->> '{{ key }}' as bigint)) from jsonb_array_elements(cast({{ json_array_text }} as jsonb)) as e), 0)
{%- endmacro %}


{#
    An aggregate (`sum` or `min`) of the integer key `key` over the objects of a JSON array (text)
    whose `where_key` reads `where_value` as text (JSON booleans read 'true' / 'false'): the
    inclusive taxes of a line (`taxes[]` with tax_behavior inclusive), when a dispute's funds were
    reinstated (`balance_transactions[]` with reporting_category dispute_reversal). Null when none.
#}
{% macro json_array_aggregate_where(json_array_text, aggregate, key, where_key, where_value) -%}
    {{ return(adapter.dispatch('json_array_aggregate_where', 'stripe_revenue')(
        json_array_text, aggregate, key, where_key, where_value)) }}
{%- endmacro %}

{% macro duckdb__json_array_aggregate_where(json_array_text, aggregate, key, where_key, where_value) -%}
    list_{{ aggregate }}(list_transform(
        list_filter(cast(json_extract({{ json_array_text }}, '$[*]') as json[]),
                    lambda e: json_extract_string(e, '$.{{ where_key }}') = '{{ where_value }}'),
        lambda e: try_cast(json_extract_string(e, '$.{{ key }}') as bigint)))
{%- endmacro %}

{% macro default__json_array_aggregate_where(json_array_text, aggregate, key, where_key, where_value) -%}
    (select {{ aggregate }}(cast(e ->> '{{ key }}' as bigint))
     from jsonb_array_elements(cast({{ json_array_text }} as jsonb)) as e
     where e ->> '{{ where_key }}' = '{{ where_value }}')
{%- endmacro %}


{#
    Select-list items that turn one row into one row per element of a JSON array (text):
    `<value_alias>` (element as JSON text) and `<index_alias>` (1-based position).
    DuckDB: unnest in the select list.
#}
{% macro json_array_unnest(json_array_text, value_alias='element', index_alias='element_index') -%}
    {{ return(adapter.dispatch('json_array_unnest', 'stripe_revenue')(json_array_text, value_alias, index_alias)) }}
{%- endmacro %}

{% macro duckdb__json_array_unnest(json_array_text, value_alias, index_alias) -%}
    unnest(cast(json_extract({{ json_array_text }}, '$[*]') as varchar[])) as {{ value_alias }},
    generate_subscripts(cast(json_extract({{ json_array_text }}, '$[*]') as varchar[]), 1) as {{ index_alias }}
{%- endmacro %}

{% macro default__json_array_unnest(json_array_text, value_alias, index_alias) -%}
    {{ exceptions.raise_compiler_error("json_array_unnest is implemented for duckdb only (adapter " ~ adapter.type() ~ ")") }}
{%- endmacro %}
