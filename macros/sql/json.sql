{#
    JSON access to the raw `data` column (DECISIONS.md D2). Paths are dotted keys,
    numeric segments index arrays: 'parent.subscription_details.subscription', 'items.data.0.price'.

    json_extract_fields() is the workhorse of the staging views: it parses each document ONCE and
    returns every requested path as text (numbers, booleans as their JSON text, objects and arrays
    as JSON text, JSON null as SQL null). On DuckDB one list extraction is ~15x faster than one
    extraction per field, which is what keeps staging cheap at a million invoices.
    A field given a list of paths takes the first non-null (how both API shapes are coalesced:
    `['pricing.price_details.price', 'price.id', 'price']`).

    dbt has no cross-database JSON macros: each is dispatched (DECISIONS.md X1), duckdb__ (JSON text
    or DuckDB's JSON type) and postgres__ (jsonb, what dlt loads `data` as there); default__ is a
    compile error naming the adapter, since JSON functions differ on every engine.
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

{#-
    jsonb access: `data` is jsonb (dlt's json type on Postgres); other inputs are JSON text. A document
    over ~2 kB is stored compressed (TOAST), and Postgres decompresses it again for every reference:
    the lateral subquery (kept apart by `offset 0`) decompresses it once per row, and `|| '{}'` hands
    on that in-memory copy; 5x faster with 10 fields, ~20x with the invoice's 45 (DECISIONS.md X1).
-#}
{% macro postgres__json_extract_fields(from_relation, json_column, fields, keep) -%}
    select
        {% for column in keep %}{{ column }},
        {% endfor -%}
        {% for name, spec in fields.items() -%}
        {%- set spec_paths = [spec] if spec is string else spec -%}
        {%- if spec_paths | length == 1 -%}
        _json_doc #>> {{ _json_path_postgres(spec_paths[0]) }} as {{ name }}
        {%- else -%}
        coalesce({% for p in spec_paths %}_json_doc #>> {{ _json_path_postgres(p) }}{{ ', ' if not loop.last }}{% endfor %}) as {{ name }}
        {%- endif %}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ from_relation }}
    cross join lateral (
        select cast({{ json_column }} as jsonb) || cast('{}' as jsonb) as _json_doc offset 0
    ) as _json_detoasted
{%- endmacro %}

{% macro _json_not_implemented(name) -%}
    {{ exceptions.raise_compiler_error(name ~ " is not implemented for adapter " ~ adapter.type() ~ ": add a "
        ~ adapter.type() ~ "__" ~ name ~ " macro (macros/sql/json.sql; dbt has no cross-database JSON macros)") }}
{%- endmacro %}

{% macro default__json_extract_fields(from_relation, json_column, fields, keep) -%}
    {{ _json_not_implemented('json_extract_fields') }}
{%- endmacro %}


{# one path as text (parses the document again: use for columns read rarely) #}
{% macro json_extract_text(json_column, path) -%}
    {{ return(adapter.dispatch('json_extract_text', 'stripe_revenue')(json_column, path)) }}
{%- endmacro %}

{% macro duckdb__json_extract_text(json_column, path) -%}
    json_extract_string({{ json_column }}, '{{ _json_path_duckdb(path) }}')
{%- endmacro %}

{% macro postgres__json_extract_text(json_column, path) -%}
    (cast({{ json_column }} as jsonb) #>> {{ _json_path_postgres(path) }})
{%- endmacro %}

{% macro default__json_extract_text(json_column, path) -%}
    {{ _json_not_implemented('json_extract_text') }}
{%- endmacro %}


{#- Postgres: the elements of a JSON array (text or jsonb); none for null or anything but an array -#}
{% macro _postgres_json_array(json_array_text) -%}
    (case when jsonb_typeof(cast({{ json_array_text }} as jsonb)) = 'array' then cast({{ json_array_text }} as jsonb) end)
{%- endmacro %}


{# sum of an integer key over the objects of a JSON array (text): discount_amounts[].amount #}
{% macro json_array_sum(json_array_text, key) -%}
    {{ return(adapter.dispatch('json_array_sum', 'stripe_revenue')(json_array_text, key)) }}
{%- endmacro %}

{% macro duckdb__json_array_sum(json_array_text, key) -%}
    coalesce(list_sum(try_cast(json_extract_string({{ json_array_text }}, '$[*].{{ key }}') as bigint[])), 0)
{%- endmacro %}

{% macro postgres__json_array_sum(json_array_text, key) -%}
    coalesce((select sum({{ json_integer("elements.e ->> '" ~ key ~ "'") }})
              from jsonb_array_elements({{ _postgres_json_array(json_array_text) }}) as elements (e)), 0)
{%- endmacro %}

{% macro default__json_array_sum(json_array_text, key) -%}
    {{ _json_not_implemented('json_array_sum') }}
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

{% macro postgres__json_array_aggregate_where(json_array_text, aggregate, key, where_key, where_value) -%}
    (select {{ aggregate }}({{ json_integer("elements.e ->> '" ~ key ~ "'") }})
     from jsonb_array_elements({{ _postgres_json_array(json_array_text) }}) as elements (e)
     where elements.e ->> '{{ where_key }}' = '{{ where_value }}')
{%- endmacro %}

{% macro default__json_array_aggregate_where(json_array_text, aggregate, key, where_key, where_value) -%}
    {{ _json_not_implemented('json_array_aggregate_where') }}
{%- endmacro %}


{#
    Select-list items that turn one row into one row per element of a JSON array (text):
    `<value_alias>` (element as JSON text) and `<index_alias>` (1-based position).
    DuckDB: unnest in the select list; Postgres: two set-returning functions, which run in lockstep.
#}
{% macro json_array_unnest(json_array_text, value_alias='element', index_alias='element_index') -%}
    {{ return(adapter.dispatch('json_array_unnest', 'stripe_revenue')(json_array_text, value_alias, index_alias)) }}
{%- endmacro %}

{% macro duckdb__json_array_unnest(json_array_text, value_alias, index_alias) -%}
    unnest(cast(json_extract({{ json_array_text }}, '$[*]') as varchar[])) as {{ value_alias }},
    generate_subscripts(cast(json_extract({{ json_array_text }}, '$[*]') as varchar[]), 1) as {{ index_alias }}
{%- endmacro %}

{% macro postgres__json_array_unnest(json_array_text, value_alias, index_alias) -%}
    cast(jsonb_array_elements({{ _postgres_json_array(json_array_text) }}) as text) as {{ value_alias }},
    generate_series(1, jsonb_array_length({{ _postgres_json_array(json_array_text) }})) as {{ index_alias }}
{%- endmacro %}

{% macro default__json_array_unnest(json_array_text, value_alias, index_alias) -%}
    {{ _json_not_implemented('json_array_unnest') }}
{%- endmacro %}
