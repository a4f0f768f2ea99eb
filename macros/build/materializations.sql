{#
    Table, view and incremental materializations that replace or change the relation in place, in
    one transaction (DECISIONS.md S10).

    dbt's own table and view build the new relation under a temporary name, rename the old one to a
    backup name, rename the new one into place and drop the backup: four adapter calls, each of which
    builds a fresh macro context in dbt's Python (about 30 ms each, on the one thread the GIL
    allows). DuckDB's DDL is transactional, so dropping the old relation and creating the new one in
    one transaction is just as atomic: a reader sees the old relation until the commit, and a failed
    build rolls back to it. One statement, no adapter calls. Contracts, hooks and docs work as in
    dbt's versions.
#}
{% materialization table, adapter='duckdb' %}
    {{ return(replace_relation_in_place('table')) }}
{% endmaterialization %}


{% materialization view, adapter='duckdb' %}
    {{ return(replace_relation_in_place('view')) }}
{% endmaterialization %}


{# Drop this model's relation, of whatever type, and create it as `relation_type` in the same transaction. #}
{% macro replace_relation_in_place(relation_type) %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type=relation_type) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% call statement('main') -%}
        {% if existing_relation is not none -%}
        drop {{ existing_relation.type }} {{ existing_relation }};
        {%- endif %}
        {% if relation_type == 'table' -%}
        {{ create_table_as(False, target_relation, compiled_code) }}
        {%- else -%}
        {{ get_create_view_as_sql(target_relation, compiled_code) }}
        {%- endif %}
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {% if existing_relation is not none and existing_relation.type != relation_type %}
        {% do adapter.cache_dropped(existing_relation) %}
    {% endif %}
    {{ return({'relations': [target_relation]}) }}
{% endmacro %}


{#
    Incremental materialization, dbt-duckdb's without its per-build adapter calls (S10): the new rows
    go to a temporary table; one DESCRIBE of it and of the target decides whether the schema changed
    (only then does dbt's process_schema_changes run, with its on_schema_change handling); the
    configured strategy's SQL (delete+insert, append, merge) moves the rows. A full refresh, or a
    first build, replaces the relation in place like the table materialization. Python models,
    indexes and grants are not supported (no model here uses them).
#}
{% materialization incremental, adapter='duckdb' %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- if existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
        {{ return(replace_relation_in_place('table')) }}
    {%- endif -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set temp_relation = make_temp_relation(target_relation) -%}
    {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% do run_query(create_table_as(True, temp_relation, compiled_code)) %}
    {%- set columns = columns_if_unchanged(temp_relation, target_relation) -%}
    {%- if columns is none -%}
        {%- set columns = process_schema_changes(on_schema_change, temp_relation, target_relation)
                          or adapter.get_columns_in_relation(target_relation) -%}
    {%- endif -%}
    {%- set strategy = adapter.get_incremental_strategy_macro(context, config.get('incremental_strategy') or 'default') -%}
    {% call statement('main') -%}
        {{ strategy({'target_relation': target_relation, 'temp_relation': temp_relation,
                     'unique_key': config.get('unique_key'), 'dest_columns': columns,
                     'incremental_predicates': config.get('incremental_predicates')}) }};
        drop table {{ temp_relation }}
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#
    The columns of `source` (as dbt Columns) when `target` has the same column names and types,
    else none (the schema changed: dbt's process_schema_changes takes over). One query.
#}
{% macro columns_if_unchanged(source, target) %}
    {%- set described = run_query(
        "select 'source', column_name, column_type from (describe " ~ source ~ ")"
        ~ " union all select 'target', column_name, column_type from (describe " ~ target ~ ")") -%}
    {%- set columns = {'source': {}, 'target': {}} -%}
    {%- set source_columns = [] -%}
    {%- for side, name, data_type in described.rows -%}
        {%- do columns[side].update({name | lower: data_type}) -%}
        {%- if side == 'source' -%}
            {%- do source_columns.append(api.Column.create(name, data_type)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(source_columns if columns.source == columns.target else none) }}
{% endmacro %}
