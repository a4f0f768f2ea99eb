{#
    should_full_refresh(): dbt's (--full-refresh, or the model's full_refresh config), and also true
    for an incremental table built by an older version of this project, one that lacks a column its
    incremental logic reads from it (the model's `incremental_columns` config, e.g. a watermark
    added since). Such a table is rebuilt in full, as `dbt build --full-refresh -s <model>` would;
    dbt calls this macro from is_incremental() and from the incremental materialization, so the
    model's SQL, its hooks and the materialization all see the same full rebuild.
#}
{% macro should_full_refresh() %}
    {%- set full_refresh = dbt.should_full_refresh() -%}
    {%- if full_refresh or not execute or model.resource_type != 'model' -%}
        {{ return(full_refresh) }}
    {%- endif -%}
    {{ return(incremental_columns_missing() | length > 0) }}
{% endmacro %}


{#
    The columns of the model's `incremental_columns` config its existing table lacks (none when the
    table does not exist yet). Read once per model and context.
#}
{% macro incremental_columns_missing() %}
    {%- set expected = config.get('incremental_columns') or [] -%}
    {%- if not expected or config.get('materialized') != 'incremental' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if '_incremental_columns_missing' in model -%}
        {{ return(model['_incremental_columns_missing']) }}
    {%- endif -%}
    {%- set missing = [] -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if relation is not none -%}
        {#- one query: adapter.get_columns_in_relation builds a whole macro context (S10) -#}
        {%- set present = column_names_now(relation) -%}
        {%- for column in expected if column | lower not in present -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {%- do log(this ~ " was built by an older version of this project (no column " ~ missing | join(', ')
                       ~ "): rebuilding it in full", info=true) -%}
        {%- endif -%}
    {%- endif -%}
    {%- do model.update({'_incremental_columns_missing': missing}) -%}
    {{ return(missing) }}
{% endmacro %}
