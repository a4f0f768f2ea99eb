{#
    name_failing_rows(test_name, query, columns, advice): in a test that builds or tests (not at
    parse or compile), write the first 20 rows `query` returns to the log, one line each, so that a
    failing or warning test names what broke it (dbt itself only prints a count). `query` must be
    the test's own select; `columns` are the ones shown.
#}
{% macro name_failing_rows(test_name, query, columns, advice='') -%}
    {%- if execute and flags.WHICH in ('build', 'test') -%}
        {%- set found = run_query("select " ~ columns | join(', ') ~ " from (" ~ query ~ ") as failing limit 20") -%}
        {%- for row in found.rows -%}
            {%- set shown = [] -%}
            {%- for column in columns -%}{%- do shown.append(column ~ "=" ~ row[loop.index0]) -%}{%- endfor -%}
            {%- do log(test_name ~ ": " ~ shown | join(" ") ~ (" - " ~ advice if advice else ""), info=true) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
