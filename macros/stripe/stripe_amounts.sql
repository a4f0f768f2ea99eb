{#
    Stripe's integer amounts, read so that one bad value cannot stop a build (DECISIONS.md D6).

    json_integer(text): the JSON integer as a 64-bit integer, null when it is not one (beyond 64
    bits, not an integer). rejected_amount_reason(fields, non_negative): the first reason a row's
    amounts are not what Stripe sends (a value beyond 64 bits; a negative value where Stripe never
    sends one), null when they are. Staging keeps such rows with their reason; the revenue models
    leave them out; int_stripe_amounts_rejected lists them and its test fails naming each one, while
    every other model builds (nothing reads that model).
#}

{% macro json_integer(text) -%}
    {{ return(adapter.dispatch('json_integer', 'stripe_revenue')(text)) }}
{%- endmacro %}

{% macro duckdb__json_integer(text) -%}
    try_cast({{ text }} as bigint)
{%- endmacro %}

{#-
    Postgres has no try_cast: only a number's text is cast (as DuckDB's try_cast reads it: a decimal rounds
    half away from zero, an exponent is applied), and only within 64 bits. Nested cases: Postgres does
    not promise to evaluate the operands of `and` in order.
-#}
{% macro postgres__json_integer(text) -%}
    {%- set as_text = 'cast(' ~ text ~ ' as text)' -%}
    (case when {{ as_text }} ~ '^ *[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]{1,3})? *$' then
        case when cast({{ as_text }} as numeric) between -9223372036854775808.5 and 9223372036854775807.49
            then cast(cast({{ as_text }} as numeric) as bigint) end end)
{%- endmacro %}

{#- dbt's safe_cast is a plain cast where the engine has no safe one: a bad amount would stop the build (D6) -#}
{% macro default__json_integer(text) -%}
    {{ exceptions.raise_compiler_error("json_integer is not implemented for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__json_integer macro (macros/stripe/stripe_amounts.sql) that yields null "
        ~ "for text that is not a 64-bit integer") }}
{%- endmacro %}


{% macro rejected_amount_reason(fields, non_negative=[]) -%}
    case
    {%- for name, text in fields.items() %}
        when {{ text }} is not null and {{ json_integer(text) }} is null
            then '{{ name }} is not a 64-bit integer: ' || {{ text }}
    {%- endfor %}
    {%- for name in non_negative %}
        when {{ json_integer(fields[name]) }} < 0 then '{{ name }} is negative: ' || {{ fields[name] }}
    {%- endfor %}
    end
{%- endmacro %}
