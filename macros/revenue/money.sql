{#
    Money (DECISIONS.md D3, D4). Amounts stay integer minor units; major units are derived with the
    currency's exponent from seeds/currency_exponents.csv, never a blind /100.
#}

{# numeric type of every major-unit amount: exact for 0, 2 and 3 decimal currencies #}
{% macro money_type() -%}
    decimal(38, 3)
{%- endmacro %}

{# minor units -> major units of the same currency #}
{% macro minor_to_major(amount_minor, exponent) -%}
    {{ return(adapter.dispatch('minor_to_major', 'stripe_revenue')(amount_minor, exponent)) }}
{%- endmacro %}

{% macro default__minor_to_major(amount_minor, exponent) -%}
    {#- a decimal product is exact; a decimal division would go through double -#}
    cast(cast({{ amount_minor }} as {{ money_type() }}) * cast(power(10, -({{ exponent }})) as {{ money_type() }}) as {{ money_type() }})
{%- endmacro %}

{# round half away from zero (DuckDB's round(double) is half away from zero) #}
{% macro round_half_away(x) -%}
    {{ return(adapter.dispatch('round_half_away', 'stripe_revenue')(x)) }}
{%- endmacro %}

{% macro duckdb__round_half_away(x) -%}
    round({{ x }})
{%- endmacro %}

{#-
    Standard SQL, exact for double and decimal alike: abs(x) - floor(abs(x)) is exact in binary floating
    point, unlike floor(abs(x) + 0.5) (0.49999999999999994 + 0.5 rounds up to 1). Postgres' round(double)
    rounds half to even; its round(numeric) would first cut a double to 15 digits.
-#}
{% macro default__round_half_away(x) -%}
    ((case when ({{ x }}) < 0 then -1 else 1 end)
     * (floor(abs({{ x }})) + case when abs({{ x }}) - floor(abs({{ x }})) >= 0.5 then 1 else 0 end))
{%- endmacro %}

{#
    D4: minor units `a` of currency c -> minor units of the base currency b, evaluated in double
    precision in exactly this order, rounded half away from zero:
        round(a / 10^exp(c) * (rate(b) / rate(c)) * 10^exp(b))
    `fx_factor` is rate(b) / rate(c) (int_exchange_rates_filled.fx_factor). Same currency: the amount
    itself (what the formula yields; it also needs no rate).
#}
{% macro convert_minor(amount_minor, currency, exponent, fx_factor, base_exponent) -%}
    case
        when {{ currency }} = '{{ base_currency() }}' then cast({{ amount_minor }} as bigint)
        else cast({{ round_half_away(
            'cast(' ~ amount_minor ~ ' as ' ~ type_double() ~ ') / power(10, ' ~ exponent ~ ') * ' ~ fx_factor
            ~ ' * power(10, ' ~ base_exponent ~ ')') }} as bigint)
    end
{%- endmacro %}

{# an integer type wide enough for products of two amounts (largest-remainder allocation) #}
{% macro wide_integer_type() -%}
    {{ return(adapter.dispatch('wide_integer_type', 'stripe_revenue')()) }}
{%- endmacro %}

{% macro duckdb__wide_integer_type() -%}
    hugeint
{%- endmacro %}

{% macro default__wide_integer_type() -%}
    numeric(38, 0)
{%- endmacro %}

{# integer division and remainder of non-negative integers #}
{% macro int_div(a, b) -%}
    {{ return(adapter.dispatch('int_div', 'stripe_revenue')(a, b)) }}
{%- endmacro %}

{% macro duckdb__int_div(a, b) -%}
    (({{ a }}) // ({{ b }}))
{%- endmacro %}

{#- exact on numeric(38, 0): a numeric `/` rounds to some digits first, so floor(a / b) could be one off -#}
{% macro postgres__int_div(a, b) -%}
    div(({{ a }}), ({{ b }}))
{%- endmacro %}

{#- standard SQL has no exact integer division of decimals -#}
{% macro default__int_div(a, b) -%}
    {{ exceptions.raise_compiler_error("int_div is not implemented for adapter " ~ adapter.type() ~ ": add a "
        ~ adapter.type() ~ "__int_div macro (macros/revenue/money.sql), exact on " ~ wide_integer_type()) }}
{%- endmacro %}

{% macro int_mod(a, b) -%}
    (({{ a }}) % ({{ b }}))
{%- endmacro %}

{# a / b of non-negative integers, rounded to the nearest integer, ties to the even one (banker's) #}
{% macro int_div_round_half_even(a, b) -%}
    ({{ int_div(a, b) }} + case
        when 2 * {{ int_mod(a, b) }} > ({{ b }}) then 1
        when 2 * {{ int_mod(a, b) }} = ({{ b }}) and {{ int_mod(int_div(a, b), 2) }} = 1 then 1
        else 0
    end)
{%- endmacro %}

{#
    R10: an exact amount computed in double precision, to the minor unit: first to 6 decimals, then
    half away from zero. The 6-decimal step absorbs binary floating-point error (a share worth exactly
    12.5 computed as 12.4999999999) so the SQL agrees with an exact implementation (the ground truth).
#}
{% macro round_minor(x) -%}
    cast({{ round_half_away(round_half_away('(' ~ x ~ ') * 1000000') ~ ' / 1000000') }} as bigint)
{%- endmacro %}
