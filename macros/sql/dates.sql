{#
    Dates (DECISIONS.md R5, R6, M1): unix seconds to UTC timestamps, whole-day differences,
    month arithmetic with the day clamped to the month's end, date series. dbt's cross-database
    macros where dbt has one (dateadd, datediff, date_trunc); dispatched where it has none (DECISIONS.md
    X1): default__ bodies are standard SQL or a compile error that names the adapter.
#}

{# unix seconds (bigint) -> timestamp without time zone, in UTC #}
{% macro from_unixtime(seconds) -%}
    {{ return(adapter.dispatch('from_unixtime', 'stripe_revenue')(seconds)) }}
{%- endmacro %}

{#- one function call: staging converts a dozen columns of a million rows -#}
{% macro duckdb__from_unixtime(seconds) -%}
    make_timestamp(cast({{ seconds }} as bigint) * 1000000)
{%- endmacro %}

{% macro default__from_unixtime(seconds) -%}
    cast({{ dbt.dateadd('second', 'cast(' ~ seconds ~ ' as bigint)', "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# date + n months, the day clamped to the end of the target month (Jan 31 + 1 month = Feb 28/29) #}
{% macro add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', 'cast(' ~ months ~ ' as integer)', 'cast(' ~ date_expr ~ ' as date)') }} as date)
{%- endmacro %}

{# whole days from start_date to end_date (dates) #}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff('cast(' ~ start_date ~ ' as date)', 'cast(' ~ end_date ~ ' as date)', 'day') }}
{%- endmacro %}

{# first day of the month, as a date #}
{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', 'cast(' ~ date_expr ~ ' as date)') }} as date)
{%- endmacro %}

{# last day of the month, as a date #}
{% macro month_end(date_expr) -%}
    cast({{ dbt.dateadd('day', -1, add_months(month_start(date_expr), 1)) }} as date)
{%- endmacro %}

{# 'YYYY-MM' #}
{% macro year_month(date_expr) -%}
    {{ return(adapter.dispatch('year_month', 'stripe_revenue')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__year_month(date_expr) -%}
    strftime(cast({{ date_expr }} as date), '%Y-%m')
{%- endmacro %}

{% macro postgres__year_month(date_expr) -%}
    to_char(cast({{ date_expr }} as date), 'YYYY-MM')
{%- endmacro %}

{#- standard SQL: a date cast to text is its ISO literal, YYYY-MM-DD -#}
{% macro default__year_month(date_expr) -%}
    substring(cast(cast({{ date_expr }} as date) as {{ dbt.type_string() }}) from 1 for 7)
{%- endmacro %}

{# 'YYYY-MM-DD' (for run_query results read back into SQL literals) #}
{% macro date_text(date_expr) -%}
    {{ return(adapter.dispatch('date_text', 'stripe_revenue')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__date_text(date_expr) -%}
    strftime(cast({{ date_expr }} as date), '%Y-%m-%d')
{%- endmacro %}

{% macro postgres__date_text(date_expr) -%}
    to_char(cast({{ date_expr }} as date), 'YYYY-MM-DD')
{%- endmacro %}

{% macro default__date_text(date_expr) -%}
    cast(cast({{ date_expr }} as date) as {{ dbt.type_string() }})
{%- endmacro %}

{# a timestamp with time zone as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (read back into a literal: incremental.sql) #}
{% macro timestamptz_text_utc(ts_expr) -%}
    {{ return(adapter.dispatch('timestamptz_text_utc', 'stripe_revenue')(ts_expr)) }}
{%- endmacro %}

{% macro duckdb__timestamptz_text_utc(ts_expr) -%}
    strftime({{ ts_expr }} at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f')
{%- endmacro %}

{% macro postgres__timestamptz_text_utc(ts_expr) -%}
    to_char({{ ts_expr }} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')
{%- endmacro %}

{% macro default__timestamptz_text_utc(ts_expr) -%}
    {{ exceptions.raise_compiler_error("timestamptz_text_utc is not implemented for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__timestamptz_text_utc macro (macros/sql/dates.sql)") }}
{%- endmacro %}

{#
    A select of every column of `from_relation` with one row per day from start_date to end_date
    inclusive for each of its rows, column `date_day` (start/end are expressions over its columns).
    dbt's generate_series is a fixed range, not one per row: dispatched.
#}
{% macro day_series(from_relation, start_date, end_date) -%}
    {{ return(adapter.dispatch('day_series', 'stripe_revenue')(from_relation, start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__day_series(from_relation, start_date, end_date) -%}
    select {{ from_relation }}.*,
        cast(unnest(generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day)) as date) as date_day
    from {{ from_relation }}
{%- endmacro %}

{% macro postgres__day_series(from_relation, start_date, end_date) -%}
    select {{ from_relation }}.*, cast(days.d as date) as date_day
    from {{ from_relation }}
    cross join lateral generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as days (d)
{%- endmacro %}

{% macro default__day_series(from_relation, start_date, end_date) -%}
    {{ exceptions.raise_compiler_error("day_series is not implemented for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__day_series macro (macros/sql/dates.sql)") }}
{%- endmacro %}

{# the same for month starts, column `month_start` #}
{% macro month_series(from_relation, start_month, end_month) -%}
    {{ return(adapter.dispatch('month_series', 'stripe_revenue')(from_relation, start_month, end_month)) }}
{%- endmacro %}

{% macro duckdb__month_series(from_relation, start_month, end_month) -%}
    select cast(unnest(generate_series(cast({{ start_month }} as timestamp), cast({{ end_month }} as timestamp), interval 1 month)) as date) as month_start
    from {{ from_relation }}
{%- endmacro %}

{% macro postgres__month_series(from_relation, start_month, end_month) -%}
    select cast(months.m as date) as month_start
    from {{ from_relation }}
    cross join lateral generate_series(cast({{ start_month }} as timestamp), cast({{ end_month }} as timestamp), interval '1 month') as months (m)
{%- endmacro %}

{% macro default__month_series(from_relation, start_month, end_month) -%}
    {{ exceptions.raise_compiler_error("month_series is not implemented for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__month_series macro (macros/sql/dates.sql)") }}
{%- endmacro %}

{# 0 .. n-1 as `{{ alias }}`, a select-list item that multiplies the row (n >= 1) #}
{% macro integer_series_unnest(n, alias) -%}
    {{ return(adapter.dispatch('integer_series_unnest', 'stripe_revenue')(n, alias)) }}
{%- endmacro %}

{% macro duckdb__integer_series_unnest(n, alias) -%}
    unnest(range(cast({{ n }} as bigint))) as {{ alias }}
{%- endmacro %}

{#- a set-returning function in the select list: one row per value -#}
{% macro postgres__integer_series_unnest(n, alias) -%}
    generate_series(0, cast({{ n }} as bigint) - 1) as {{ alias }}
{%- endmacro %}

{% macro default__integer_series_unnest(n, alias) -%}
    {{ exceptions.raise_compiler_error("integer_series_unnest is not implemented for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__integer_series_unnest macro (macros/sql/dates.sql)") }}
{%- endmacro %}
