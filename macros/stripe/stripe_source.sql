{#
    stripe_source(table_name): the raw table `table_name` of every source listed in
    var('stripe_sources') (table prefixes, "" = no prefix), unioned, with `source_label`
    ('stripe' for "", else 'stripe.<prefix without trailing underscore>').

    Lineage: the unprefixed table is always referenced through source('stripe', ...), so the DAG
    shows it; prefixed tables are the same source relation with the prefix put in front of its
    identifier (same database and schema).

    Missing tables: dlt only creates a table once it receives a row, so an account without
    disputes has no `dispute` table. A missing table becomes an empty relation with the raw
    columns (a warning is logged). A missing raw schema means ingestion has not run: that is an
    error with the command to run.
#}
{% macro stripe_source_label(prefix) -%}
    {%- if prefix == '' -%}stripe{%- else -%}stripe.{{ prefix.rstrip('_') }}{%- endif -%}
{%- endmacro %}

{% macro stripe_source_prefixes() -%}
    {%- set prefixes = var('stripe_sources', ['']) -%}
    {%- if prefixes is string -%}
        {%- set prefixes = prefixes.split(',') | map('trim') | list -%}
    {%- endif -%}
    {%- if prefixes | length == 0 -%}
        {%- set prefixes = [''] -%}
    {%- endif -%}
    {{ return(checked_stripe_sources(prefixes)) }}
{%- endmacro %}

{% macro stripe_raw_columns() -%}
    {{ return(['id', 'created', 'data', 'api_version', 'state_at', 'is_deleted', 'deleted_at',
               'parent_id', 'account_id', 'synced_at']) }}
{%- endmacro %}

{#- the rows of one raw table as staging reads them: the table itself where dlt merged each id into one row;
    on Spark the lake keeps every version (macros/adapters/spark/sql.sql) -#}
{% macro stripe_raw_relation(relation) -%}
    {{ return(adapter.dispatch('stripe_raw_relation', 'stripe_revenue')(relation)) }}
{%- endmacro %}

{% macro default__stripe_raw_relation(relation) -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro stripe_source(table_name, incremental_since=none) -%}
    {#- incremental_since: in an incremental run of the calling model, keep only raw rows with
        `synced_at` after that model's latest `incremental_since` value for the same source
        label (a label the model has not seen yet is read whole). Strictly after: a dlt load commits
        each table at once and stamps later loads later, so no row can arrive with an older stamp. -#}
    {%- set base = source('stripe', table_name) -%}
    {%- set selects = [] -%}
    {%- for prefix in stripe_source_prefixes() -%}
        {%- set label = stripe_source_label(prefix) -%}
        {%- set relation = base if prefix == '' else api.Relation.create(
                database=base.database, schema=base.schema, identifier=prefix ~ base.identifier) -%}
        {%- set exists = true -%}
        {%- if execute -%}
            {#- get_relation reads dbt's relation cache; check_schema_exists runs a macro and a query,
                so it is asked only when the table is missing -#}
            {%- set found = adapter.get_relation(database=base.database, schema=base.schema,
                                                  identifier=prefix ~ base.identifier) -%}
            {%- if found is none and not adapter.check_schema_exists(base.database, base.schema) -%}
                {{ exceptions.raise_compiler_error(
                    "The raw Stripe schema '" ~ base.schema ~ "' does not exist in " ~ (base.database or target_database() or target.schema)
                    ~ ": load Stripe first (`dlt pipeline stripe run`, or `stripe-revenue demo` for the fake account), "
                    ~ "then run `dbt build`. Set DUCKDB_PATH to the warehouse the ingestion wrote.") }}
            {%- endif -%}
            {%- if found is none -%}
                {%- set exists = false -%}
                {%- do log("stripe_source: raw table " ~ relation ~ " not found, read as empty "
                           ~ "(Stripe sent no " ~ table_name ~ " objects yet)", info=true) -%}
            {%- endif -%}
        {%- endif -%}
        {%- if exists -%}
            {%- set since_filter = '' -%}
            {%- if incremental_since is not none and is_incremental() -%}
                {#- a bare comparison with a scalar subquery, not wrapped in coalesce(): DuckDB then prunes
                    the raw table by its synced_at zone maps and never reads the JSON of older rows
                    (30x faster on a million rows) -#}
                {%- set since_filter = " where synced_at > coalesce((select max(" ~ incremental_since ~ ") from "
                    ~ this ~ " where source_label = '" ~ label ~ "'), " ~ timestamptz_literal('-infinity') ~ ")" -%}
            {%- endif -%}
            {%- do selects.append(
                "select '" ~ label ~ "' as source_label, "
                ~ stripe_raw_columns() | join(', ') ~ " from " ~ stripe_raw_relation(relation) ~ since_filter) -%}
        {%- else -%}
            {%- do selects.append(
                "select '" ~ label ~ "' as source_label, "
                ~ "cast(null as " ~ dbt.type_string() ~ ") as id, "
                ~ "cast(null as " ~ dbt.type_bigint() ~ ") as created, "
                ~ "cast(null as " ~ type_json() ~ ") as data, "
                ~ "cast(null as " ~ dbt.type_string() ~ ") as api_version, "
                ~ "cast(null as " ~ dbt.type_bigint() ~ ") as state_at, "
                ~ "cast(null as " ~ dbt.type_boolean() ~ ") as is_deleted, "
                ~ "cast(null as " ~ dbt.type_bigint() ~ ") as deleted_at, "
                ~ "cast(null as " ~ dbt.type_string() ~ ") as parent_id, "
                ~ "cast(null as " ~ dbt.type_string() ~ ") as account_id, "
                ~ "cast(null as " ~ type_timestamptz() ~ ") as synced_at "
                ~ "where 1 = 0") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ selects | join('\n    union all\n    ') }}
{%- endmacro %}


{#
    Post-hook of the incremental staging tables: drop the rows whose object is no longer in the raw
    table (a full refresh of the raw table by the ingestion, a source prefix removed from
    var('stripe_sources')). Every raw row is in the staging table after the incremental insert and
    both are unique on (source_label, id), so the anti-join runs only when the row counts differ.
#}
{% macro stripe_prune_missing(table_name, id_column) -%}
    {%- set raw_keys -%}
        select source_label, id as {{ id_column }} from ({{ stripe_source(table_name) }}) as raw_rows
    {%- endset -%}
    {{ return(prune_rows_missing_from(raw_keys, ['source_label', id_column])) }}
{%- endmacro %}
