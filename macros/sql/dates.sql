{#
    Dates (DECISIONS.md R5, R6, M1): unix seconds to UTC timestamps, whole-day differences,
    month arithmetic with the day clamped to the month's end.
#}

{# unix seconds (bigint) -> timestamp without time zone, in UTC #}
{% macro from_unixtime(seconds) -%}
    {{ return(adapter.dispatch('from_unixtime', 'stripe_revenue')(seconds)) }}
{%- endmacro %}

{% macro duckdb__from_unixtime(seconds) -%}
    make_timestamp(cast({{ seconds }} as bigint) * 1000000)
{%- endmacro %}

{% macro default__from_unixtime(seconds) -%}
    (timestamp '1970-01-01 00:00:00' + cast({{ seconds }} as bigint) * interval '1 second')
{%- endmacro %}

{# timestamp/date -> unix seconds #}
{% macro to_unixtime(ts) -%}
    {{ return(adapter.dispatch('to_unixtime', 'stripe_revenue')(ts)) }}
{%- endmacro %}

{% macro duckdb__to_unixtime(ts) -%}
    cast(epoch(cast({{ ts }} as timestamp)) as bigint)
{%- endmacro %}

{% macro default__to_unixtime(ts) -%}
    cast(extract(epoch from cast({{ ts }} as timestamp)) as bigint)
{%- endmacro %}

{# date + n months, the day clamped to the end of the target month (Jan 31 + 1 month = Feb 28/29) #}
{% macro add_months(date_expr, months) -%}
    {{ return(adapter.dispatch('add_months', 'stripe_revenue')(date_expr, months)) }}
{%- endmacro %}

{% macro duckdb__add_months(date_expr, months) -%}
    cast(cast({{ date_expr }} as date) + to_months(cast({{ months }} as integer)) as date)
{%- endmacro %}

{% macro default__add_months(date_expr, months) -%}
    cast(cast({{ date_expr }} as date) + cast({{ months }} as integer) * interval '1 month' as date)
{%- endmacro %}

{# whole days from start_date to end_date (dates) #}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'stripe_revenue')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{# first day of the month, as a date #}
{% macro month_start(date_expr) -%}
    cast(date_trunc('month', cast({{ date_expr }} as date)) as date)
{%- endmacro %}

{# last day of the month, as a date #}
{% macro month_end(date_expr) -%}
    cast({{ add_months(month_start(date_expr), 1) }} - 1 as date)
{%- endmacro %}

{# 'YYYY-MM' #}
{% macro year_month(date_expr) -%}
    {{ return(adapter.dispatch('year_month', 'stripe_revenue')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__year_month(date_expr) -%}
    strftime(cast({{ date_expr }} as date), '%Y-%m')
{%- endmacro %}

{% macro default__year_month(date_expr) -%}
    to_char(cast({{ date_expr }} as date), 'YYYY-MM')
{%- endmacro %}

{#
    A select of every column of `from_relation` with one row per day from start_date to end_date
    inclusive for each of its rows, column `date_day` (start/end are expressions over its columns).
#}
{% macro day_series(from_relation, start_date, end_date) -%}
    {{ return(adapter.dispatch('day_series', 'stripe_revenue')(from_relation, start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__day_series(from_relation, start_date, end_date) -%}
    select {{ from_relation }}.*,
        cast(unnest(generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day)) as date) as date_day
    from {{ from_relation }}
{%- endmacro %}

{% macro default__day_series(from_relation, start_date, end_date) -%}
    select {{ from_relation }}.*, cast(d as date) as date_day
    from {{ from_relation }}, generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as d
{%- endmacro %}

{# the same for month starts, column `month_start` #}
{% macro month_series(from_relation, start_month, end_month) -%}
    {{ return(adapter.dispatch('month_series', 'stripe_revenue')(from_relation, start_month, end_month)) }}
{%- endmacro %}

{% macro duckdb__month_series(from_relation, start_month, end_month) -%}
    select cast(unnest(generate_series(cast({{ start_month }} as timestamp), cast({{ end_month }} as timestamp), interval 1 month)) as date) as month_start
    from {{ from_relation }}
{%- endmacro %}

{% macro default__month_series(from_relation, start_month, end_month) -%}
    select cast(d as date) as month_start
    from {{ from_relation }}, generate_series(cast({{ start_month }} as timestamp), cast({{ end_month }} as timestamp), interval '1 month') as d
{%- endmacro %}

{# 0 .. n-1 as `{{ alias }}`, a select-list item that multiplies the row (n >= 1) #}
{% macro integer_series_unnest(n, alias) -%}
    {{ return(adapter.dispatch('integer_series_unnest', 'stripe_revenue')(n, alias)) }}
{%- endmacro %}

{% macro duckdb__integer_series_unnest(n, alias) -%}
    unnest(range(cast({{ n }} as bigint))) as {{ alias }}
{%- endmacro %}

{% macro default__integer_series_unnest(n, alias) -%}
    generate_series(0, cast({{ n }} as bigint) - 1) as {{ alias }}
{%- endmacro %}
