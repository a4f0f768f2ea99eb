{#
    Customers to persons and groups (DECISIONS.md P1-P3): reading the product-analytics inputs and
    the metadata values the matching uses.
#}

{#
    product_analytics_input(table_name, relation_var, columns): a select of `columns` (all as text)
    from the persons or groups input:
      - the relation named by var(relation_var) when set ('table', 'schema.table' or
        'database.schema.table'); it must exist;
      - else source('product_analytics', table_name), the table the ingestion loads from the files in
        `sources.product_analytics.*_file`; when that table is absent (the user never configured the
        files) an empty relation with the same columns (logged), so `dbt build` still succeeds.
    `columns` maps a column name to true (required: a compile error names it when the input lacks it)
    or false (optional: null when the input lacks it, logged). Column names match case-insensitively.
#}
{% macro product_analytics_input(table_name, relation_var, columns) -%}
    {%- set base = source('product_analytics', table_name) -%}
    {%- set configured = var(relation_var, none) -%}
    {%- set relation = base -%}
    {%- set found = none -%}
    {%- if configured -%}
        {%- set parts = (configured | string).split('.') | map('trim') | list -%}
        {%- if parts | length == 1 -%}
            {%- set relation = api.Relation.create(database=target_database(), schema=target.schema, identifier=parts[0]) -%}
        {%- elif parts | length == 2 -%}
            {%- set relation = api.Relation.create(database=target_database(), schema=parts[0], identifier=parts[1]) -%}
        {%- elif parts | length == 3 -%}
            {%- set relation = api.Relation.create(database=parts[0], schema=parts[1], identifier=parts[2]) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error("var " ~ relation_var ~ " = '" ~ configured
                ~ "': expected 'table', 'schema.table' or 'database.schema.table'") }}
        {%- endif -%}
    {%- endif -%}
    {%- set available = {} -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                             identifier=relation.identifier) -%}
        {%- if found is none and configured -%}
            {{ exceptions.raise_compiler_error("var " ~ relation_var ~ " names " ~ relation
                ~ ", which does not exist in the warehouse") }}
        {%- endif -%}
        {%- if found is not none -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do available.update({column.name | lower: column.name}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if execute and found is none -%}
        {%- do log("product_analytics_input: " ~ relation ~ " not found, read as empty (configure "
                   ~ "sources.product_analytics." ~ table_name ~ "_file and run the ingestion, or set var "
                   ~ relation_var ~ ")", info=true) -%}
        select
        {%- for name in columns %}
            cast(null as {{ dbt.type_string() }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- else -%}
        {%- set exprs = [] -%}
        {%- for name, required in columns.items() -%}
            {%- if not execute or (name | lower) in available -%}
                {%- set actual = available.get(name | lower, name) -%}
                {%- do exprs.append('cast(' ~ adapter.quote(actual) ~ ' as ' ~ dbt.type_string() ~ ') as ' ~ name) -%}
            {%- elif required -%}
                {{ exceptions.raise_compiler_error(relation ~ " has no column " ~ name ~ " (columns: "
                    ~ available.values() | join(', ') ~ ")") }}
            {%- else -%}
                {%- do log("product_analytics_input: " ~ relation ~ " has no column " ~ name ~ ", read as null", info=true) -%}
                {%- do exprs.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ name) -%}
            {%- endif -%}
        {%- endfor %}
        select
            {{ exprs | join(',\n            ') }}
        from {{ found if found is not none else relation }}
    {%- endif -%}
{%- endmacro %}


{# text, with surrounding spaces removed; empty or spaces only -> null (P1: "malformed" counts as absent) #}
{% macro blank_to_null(expr) -%}
    nullif(trim(cast({{ expr }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{#
    The value of one top-level key of a JSON object held as text (Stripe `metadata`), as text; null
    when the document is not an object or lacks the key. The key is used literally (it may contain
    dots or dashes).
#}
{% macro json_object_key_text(json_expr, key) -%}
    {{ return(adapter.dispatch('json_object_key_text', 'stripe_revenue')(json_expr, key)) }}
{%- endmacro %}

{% macro duckdb__json_object_key_text(json_expr, key) -%}
    json_extract_string({{ json_expr }}, '$."{{ key | replace("'", "''") | replace('"', '\\"') }}"')
{%- endmacro %}

{% macro postgres__json_object_key_text(json_expr, key) -%}
    (case when jsonb_typeof(cast({{ json_expr }} as jsonb)) = 'object'
        then cast({{ json_expr }} as jsonb) ->> '{{ key | replace("'", "''") }}' end)
{%- endmacro %}


{#
    A metadata JSON object with `key` set to `value_expr` when that is not null (the customer's matched
    distinct id, var person_metadata_key): what revenue_analytics_customer.metadata shows. A null or
    non-object metadata becomes an object holding just the key; a null value leaves metadata as it is.
#}
{% macro json_object_with_key(json_expr, key, value_expr) -%}
    {{ return(adapter.dispatch('json_object_with_key', 'stripe_revenue')(json_expr, key, value_expr)) }}
{%- endmacro %}

{% macro duckdb__json_object_with_key(json_expr, key, value_expr) -%}
    case
        when {{ value_expr }} is null then cast({{ json_expr }} as json)
        else json_merge_patch(
            case when json_type(cast({{ json_expr }} as json)) = 'OBJECT' then cast({{ json_expr }} as json) else cast('{}' as json) end,
            json_object('{{ key | replace("'", "''") }}', cast({{ value_expr }} as {{ dbt.type_string() }}))
        )
    end
{%- endmacro %}

{#- merged as jsonb, returned as json: the type the marts declare on both engines (DECISIONS.md X1) -#}
{% macro postgres__json_object_with_key(json_expr, key, value_expr) -%}
    cast(case
        when {{ value_expr }} is null then cast({{ json_expr }} as jsonb)
        else (case when jsonb_typeof(cast({{ json_expr }} as jsonb)) = 'object' then cast({{ json_expr }} as jsonb)
                   else cast('{}' as jsonb) end)
             || jsonb_build_object('{{ key | replace("'", "''") }}', cast({{ value_expr }} as text))
    end as json)
{%- endmacro %}

{% macro default__json_object_key_text(json_expr, key) -%}
    {{ _json_not_implemented('json_object_key_text') }}
{%- endmacro %}

{% macro default__json_object_with_key(json_expr, key, value_expr) -%}
    {{ _json_not_implemented('json_object_with_key') }}
{%- endmacro %}
