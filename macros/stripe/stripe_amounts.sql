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

{% macro default__json_integer(text) -%}
    cast({{ text }} as {{ dbt.type_bigint() }})
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
