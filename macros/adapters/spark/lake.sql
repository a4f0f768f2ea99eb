{#
    The raw tables on Spark: the parquet lake the ingestion wrote (DESTINATION_TYPE=filesystem,
    ingestion/lake.py) registered as external tables, in on-run-start (DECISIONS.md X2).

    Every source of the project (stripe_raw with each prefix of var('stripe_sources'), reference,
    product_analytics) is `<lake>/<schema>/<table>/*.parquet`. The folders holding parquet files are
    listed by Spark itself (the binaryFile source reads paths only when no content is selected), and
    each is (re)registered: dropping an external table drops no file, and a fresh definition picks up
    columns a later load added. A source without files stays unregistered: stripe_source reads it as
    empty, as on a warehouse where dlt has not created it yet. The lake is dlt's own
    DESTINATION__FILESYSTEM__BUCKET_URL, or var('lake_url') where Spark names it differently
    (s3:// is read as s3a://, Hadoop's S3 client).
#}
{% macro register_lake_tables() -%}
    {{ return(adapter.dispatch('register_lake_tables', 'stripe_revenue')()) }}
{%- endmacro %}

{#- the other engines read what dlt loaded into them: nothing to register -#}
{% macro default__register_lake_tables() -%}
{%- endmacro %}

{% macro lake_url() -%}
    {%- set url = var('lake_url', none) or env_var('DESTINATION__FILESYSTEM__BUCKET_URL', '') -%}
    {%- if not url -%}
        {{ exceptions.raise_compiler_error(
            "Spark reads the raw tables from the parquet lake: set DESTINATION__FILESYSTEM__BUCKET_URL to the "
            ~ "folder or bucket the ingestion wrote (DESTINATION_TYPE=filesystem), or var lake_url") }}
    {%- endif -%}
    {%- set url = url.rstrip('/') -%}
    {%- if url.startswith('s3://') -%}
        {%- set url = 's3a://' ~ url[5:] -%}
    {%- elif url.startswith('/') -%}
        {%- set url = 'file://' ~ url -%}
    {%- elif '://' not in url -%}
        {{ exceptions.raise_compiler_error(
            "DESTINATION__FILESYSTEM__BUCKET_URL is the relative path '" ~ url ~ "': Spark runs in another working "
            ~ "directory than the ingestion may have, so give an absolute path or a bucket URL") }}
    {%- endif -%}
    {{ return(url) }}
{%- endmacro %}

{% macro spark__register_lake_tables() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set lake = lake_url() -%}
    {#- schema -> table identifiers, from the graph's sources and the stripe prefixes -#}
    {%- set wanted = {} -%}
    {%- for source_node in graph.sources.values() if source_node.package_name == project_name -%}
        {%- set identifiers = [source_node.identifier] -%}
        {%- if source_node.source_name == 'stripe' -%}
            {%- set identifiers = [] -%}
            {%- for prefix in stripe_source_prefixes() -%}
                {%- do identifiers.append(prefix ~ source_node.identifier) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do wanted.setdefault(source_node.schema, []).extend(identifiers) -%}
    {%- endfor -%}
    {#- one listing of the lake (a missing lake is Spark's PATH_NOT_FOUND naming it: load first) -#}
    {%- do run_query("create or replace temporary view _lake_files using binaryFile options (path '"
        ~ lake ~ "', pathGlobFilter '*.parquet', recursiveFileLookup 'true')") -%}
    {%- set found = run_query("select distinct concat(element_at(split(path, '/'), -3), '.', "
        ~ "element_at(split(path, '/'), -2)) from _lake_files") -%}
    {%- set folders = found.columns[0].values() | list -%}
    {%- for schema, identifiers in wanted.items() -%}
        {%- do run_query("create schema if not exists " ~ schema) -%}
        {%- set registered = [] -%}
        {%- for identifier in identifiers | unique if (schema ~ '.' ~ identifier) in folders -%}
            {%- set relation = api.Relation.create(schema=schema, identifier=identifier, type='table') -%}
            {%- do run_query("drop table if exists " ~ relation) -%}
            {%- do run_query("create table " ~ relation ~ " using parquet location '"
                ~ lake ~ "/" ~ schema ~ "/" ~ identifier ~ "'") -%}
            {#- dbt listed the schemas it builds in (`reference` holds the seeds too) before this hook ran -#}
            {%- do adapter.cache_added(relation) -%}
            {%- do registered.append(identifier) -%}
        {%- endfor -%}
        {%- do log("lake: " ~ registered | length ~ " tables of " ~ schema ~ " registered from " ~ lake ~ "/" ~ schema,
                   info=true) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
