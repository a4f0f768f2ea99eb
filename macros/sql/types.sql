{#
    Types and physical details dbt has no cross-database macro for (DECISIONS.md X1); dbt's own
    (dbt.type_string(), type_bigint(), type_timestamp() ...) are used everywhere else.
#}

{#- 8-byte floating point: dbt.type_float() is `float`, which is 4 bytes on DuckDB -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{#- an instant: dbt.type_timestamp() is the type without a time zone -#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    timestamp with time zone
{%- endmacro %}

{#
    The engine's physical row id, to delete exactly the rows a pre-hook kept (revenue_item_changes.sql);
    none where the engine has none: the caller then deletes by its predicate again.
#}
{% macro physical_row_id() -%}
    {{ return(adapter.dispatch('physical_row_id', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro duckdb__physical_row_id() -%}
    {{ return('rowid') }}
{%- endmacro %}

{% macro postgres__physical_row_id() -%}
    {{ return('ctid') }}
{%- endmacro %}

{% macro default__physical_row_id() -%}
    {{ return(none) }}
{%- endmacro %}


{#
    Catalog questions asked at run time, in standard SQL (information_schema, which DuckDB and
    Postgres both have): dbt's relation cache does not know tables a hook created in this invocation.
#}

{# Whether `relation` exists now, as a table or view. #}
{% macro relation_exists_now(relation) -%}
    {{ return(adapter.dispatch('relation_exists_now', 'stripe_revenue')(relation)) }}
{%- endmacro %}

{% macro default__relation_exists_now(relation) -%}
    {%- set found = run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ relation.schema
        ~ "' and table_name = '" ~ relation.identifier ~ "'"
        ~ (" and table_catalog = '" ~ relation.database ~ "'" if relation.database else "")) -%}
    {{ return(found.rows[0][0] > 0) }}
{%- endmacro %}

{# The lower-cased column names of `relation` (an empty list when it does not exist). #}
{% macro column_names_now(relation) -%}
    {%- set found = run_query(
        "select lower(column_name) from information_schema.columns where table_schema = '" ~ relation.schema
        ~ "' and table_name = '" ~ relation.identifier ~ "'"
        ~ (" and table_catalog = '" ~ relation.database ~ "'" if relation.database else "")) -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}

{# Whether this session has a temporary table `name` (a pre-hook's, read by the post-hook of the same model). #}
{% macro temp_table_exists(name) -%}
    {%- set found = run_query(adapter.dispatch('temp_table_exists_sql', 'stripe_revenue')(name)) -%}
    {{ return(found.rows[0][0] > 0) }}
{%- endmacro %}

{#- Postgres' information_schema also lists other sessions' temporary tables: ask for this session's -#}
{% macro postgres__temp_table_exists_sql(name) -%}
    select count(*) from (select to_regclass('pg_temp.{{ name }}') as found) as lookup where found is not null
{%- endmacro %}

{% macro default__temp_table_exists_sql(name) -%}
    select count(*) from information_schema.tables where table_type = 'LOCAL TEMPORARY' and table_name = '{{ name }}'
{%- endmacro %}

{#- what dlt loads a json column as: the type of the raw `data` column (an absent raw table reads as this) -#}
{% macro type_json() -%}
    {{ return(adapter.dispatch('type_json', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro duckdb__type_json() -%}
    json
{%- endmacro %}

{% macro postgres__type_json() -%}
    jsonb
{%- endmacro %}

{% macro default__type_json() -%}
    {{ dbt.type_string() }}
{%- endmacro %}

{#- the profile's database, none where the engine has no such level (Spark: schema is the database) -#}
{% macro target_database() -%}
    {{ return(target.database if target.database is defined else none) }}
{%- endmacro %}

{#- the type of the JSON columns the marts declare (json on DuckDB and Postgres, whatever `data` is loaded as) -#}
{% macro type_json_column() -%}
    {{ return(adapter.dispatch('type_json_column', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro default__type_json_column() -%}
    json
{%- endmacro %}
