{#
    Primary-key tests that check what changed (DECISIONS.md S11).

    The big incremental tables carry `built_at`: when the build that last wrote the row started
    (dbt's run_started_at, the same instant for every model of one invocation). When every data
    test of the project passed in one invocation, on-run-end records that invocation's start in
    `dbt_data_tests_passed`. A primary-key test with `checked_since: built_at` then reads only the
    keys of rows built after that instant, and every row holding one of them: a duplicate needs
    at least one such row, since all older rows were unique when the tests last passed, and
    deleting rows creates no duplicate. So a scheduled build tests the thousand rows it rewrote,
    not the million it kept, and stays as strict.

    Every row is read when no invocation has passed every data test yet, when the set of data
    tests changed since (a new test sees every row), and with `--vars '{full_checks: true}'`. A
    selective run (`-s`) or one with a failure does not move the instant, so the rows built since
    stay in scope until an invocation passes them all.
#}

{# This invocation's start as a timestamp with time zone literal: the `built_at` of the rows it writes. #}
{% macro built_at() -%}
    {{ return(timestamptz_literal(run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f+00"))) }}
{%- endmacro %}


{% macro data_tests_passed_relation() -%}
    {{ return(api.Relation.create(database=target_database(), schema=target.schema,
                                  identifier='dbt_data_tests_passed')) }}
{%- endmacro %}


{# A digest of the project's data tests: a mark recorded for another set of tests does not count. #}
{% macro data_tests_fingerprint() -%}
    {%- set ids = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
                  | map(attribute='unique_id') | sort -%}
    {{ return(local_md5(ids | join(','))) }}
{%- endmacro %}


{# on-run-start: the table on-run-end writes the mark to. #}
{% macro create_data_tests_passed() -%}
    create table if not exists {{ data_tests_passed_relation() }} (
        tests_fingerprint {{ dbt.type_string() }},
        passed_through {{ type_timestamptz() }}
    )
{%- endmacro %}


{#
    The instant through which every data test passed, as a SQL literal, or none: check every row
    (no such instant, another set of tests, var full_checks, or a command that runs no hooks).
#}
{% macro data_tests_passed_through() -%}
    {%- if not execute or var('full_checks', false) or flags.WHICH not in ('build', 'test') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(max_timestamp_literal('passed_through', data_tests_passed_relation() ~ " where tests_fingerprint = '"
                                    ~ data_tests_fingerprint() ~ "'")) }}
{%- endmacro %}


{#
    on-run-end: record this invocation's start when it ran every data test of the project and none
    failed or errored (a warning passes: warning tests check every row, see the yml).
#}
{% macro record_data_tests_passed(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {#- every result is a node of the graph: as many passed tests as tests means all ran and passed -#}
    {%- set passed = results | selectattr('node.resource_type', 'equalto', 'test')
                     | selectattr('status', 'in', ['pass', 'warn']) | list -%}
    {%- set tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | list -%}
    {%- if tests | length == 0 or passed | length != tests | length -%}
        {{ return('') }}
    {%- endif -%}
    {{ replace_rows_with_values(data_tests_passed_relation(),
                                "'" ~ data_tests_fingerprint() ~ "', " ~ built_at()) }}
{%- endmacro %}


{# SQL that makes `values` (one row's literals) the only row of `relation`. #}
{% macro replace_rows_with_values(relation, values) -%}
    {{ return(adapter.dispatch('replace_rows_with_values', 'stripe_revenue')(relation, values)) }}
{%- endmacro %}

{% macro default__replace_rows_with_values(relation, values) -%}
    delete from {{ relation }};
    insert into {{ relation }} values ({{ values }})
{%- endmacro %}
