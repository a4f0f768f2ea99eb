{#
    The project's dbt vars, read through one checked accessor each: a value that would not mean what
    the user meant (a quote inside a currency code, a table prefix dlt would never write) stops the
    compile with a message saying what is expected, instead of landing in SQL. on-run-start checks
    them all at once (validate_vars), so a build with several bad vars names every one.
#}

{% macro _var_error(name, value, expected) -%}
    {{ return("dbt var " ~ name ~ " = " ~ (value | tojson) ~ " is not valid: expected " ~ expected
              ~ ". Set it in dbt_project.yml or with --vars '{" ~ name ~ ": ...}'.") }}
{%- endmacro %}

{% macro _var_matching(name, value, pattern, expected) -%}
    {%- if value is not string or not modules.re.fullmatch(pattern, value) -%}
        {{ exceptions.raise_compiler_error(_var_error(name, value, expected)) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- the reporting currency, an ISO 4217 code in upper case (safe to quote in SQL) -#}
{% macro base_currency() -%}
    {%- set value = var('base_currency', 'USD') -%}
    {{ return(_var_matching('base_currency', value, '[A-Za-z]{3}', 'a three-letter ISO currency code such as USD or EUR') | upper) }}
{%- endmacro %}

{#- table prefixes of the Stripe sources to union: what dlt writes as a table name prefix -#}
{% macro checked_stripe_sources(prefixes) -%}
    {%- for prefix in prefixes -%}
        {%- do _var_matching('stripe_sources', prefix, '[a-z0-9_]*',
                             'a list of table prefixes of lower-case letters, digits and underscores ("" for none), such as ["", "eu_"]') -%}
    {%- endfor -%}
    {{ return(prefixes) }}
{%- endmacro %}

{#- a Stripe metadata key read from JSON (person and group keys) -#}
{% macro metadata_key_var(name, default) -%}
    {{ return(_var_matching(name, var(name, default), '[A-Za-z0-9_\-]{1,40}',
                            'a Stripe metadata key of letters, digits, "_" or "-" (at most 40)')) }}
{%- endmacro %}

{#- a label written into SQL strings (group_type) -#}
{% macro label_var(name, default) -%}
    {{ return(_var_matching(name, var(name, default), '[A-Za-z0-9_\-. ]{1,100}',
                            'a label of letters, digits, spaces, "_", "-" or "."')) }}
{%- endmacro %}

{#- R5 / R6, R12: daily by default; reference_parity is the reference product's monthly deferral -#}
{% macro deferral_mode() -%}
    {%- set value = var('deferral', 'daily') -%}
    {%- if value not in ('monthly', 'daily') -%}
        {{ exceptions.raise_compiler_error(_var_error('deferral', value, '"monthly" or "daily"')) }}
    {%- endif -%}
    {{ return('monthly' if var('reference_parity', false) else value) }}
{%- endmacro %}

{#- R1, R12: which invoices count; reference_parity is the reference product's paid basis -#}
{% macro revenue_basis() -%}
    {%- set value = var('revenue_basis', 'finalized') -%}
    {%- if value not in ('finalized', 'paid') -%}
        {{ exceptions.raise_compiler_error(_var_error('revenue_basis', value, '"finalized" or "paid"')) }}
    {%- endif -%}
    {{ return('paid' if var('reference_parity', false) else value) }}
{%- endmacro %}

{#- R11: what a won dispute gives back -#}
{% macro won_disputes() -%}
    {%- set value = var('won_disputes', 'reverse_contra') -%}
    {%- if value not in ('reverse_contra', 'recover_as_gain') -%}
        {{ exceptions.raise_compiler_error(_var_error('won_disputes', value, '"reverse_contra" or "recover_as_gain"')) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- M1: which coupons change MRR: while_active (ChartMogul) | forever_only (Stripe's default) -#}
{% macro mrr_discounts() -%}
    {%- set value = var('mrr_discounts', 'while_active') -%}
    {%- if value not in ('while_active', 'forever_only') -%}
        {{ exceptions.raise_compiler_error(_var_error('mrr_discounts', value, '"while_active" or "forever_only"')) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- M1: when a canceled subscription stops counting: period_end (ChartMogul) | cancellation (Stripe's default) -#}
{% macro mrr_churn_at() -%}
    {%- set value = var('mrr_churn_at', 'period_end') -%}
    {%- if value not in ('period_end', 'cancellation') -%}
        {{ exceptions.raise_compiler_error(_var_error('mrr_churn_at', value, '"period_end" or "cancellation"')) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- M1: whether metered (usage-based) prices count in MRR; Stripe leaves them out -#}
{% macro mrr_include_metered() -%}
    {%- set value = var('mrr_include_metered', false) -%}
    {%- if value is string and value | lower in ('true', 'false') -%}{%- set value = value | lower == 'true' -%}{%- endif -%}
    {%- if value not in (true, false) -%}
        {{ exceptions.raise_compiler_error(_var_error('mrr_include_metered', value, 'true or false')) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro top_customers_per_month() -%}
    {%- set value = var('top_customers_per_month', 10) -%}
    {%- if value is string and modules.re.fullmatch('[0-9]+', value) -%}{%- set value = value | int -%}{%- endif -%}
    {%- if value is not number or value < 1 or value != value | int -%}
        {{ exceptions.raise_compiler_error(_var_error('top_customers_per_month', value, 'a whole number of at least 1')) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{#- as_of: an ISO date or timestamp (UTC), or null -#}
{% macro as_of_var() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is not none -%}
        {%- set value = value | string -%}
        {%- do _var_matching('as_of', value, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?(Z|[+-]00:?00)?',
                             'an ISO date or UTC timestamp such as 2026-06-30 or 2026-06-30T23:59:59Z, or null') -%}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro validate_vars() -%}
    {%- do base_currency() -%}
    {%- do checked_stripe_sources(stripe_source_prefixes()) -%}
    {%- do metadata_key_var('person_metadata_key', 'posthog_person_distinct_id') -%}
    {%- do metadata_key_var('group_metadata_key', 'company_id') -%}
    {%- do label_var('group_type', 'company') -%}
    {%- do deferral_mode() -%}
    {%- do revenue_basis() -%}
    {%- do won_disputes() -%}
    {%- do mrr_discounts() -%}
    {%- do mrr_churn_at() -%}
    {%- do mrr_include_metered() -%}
    {%- do top_customers_per_month() -%}
    {%- do as_of_var() -%}
    {{ return('') }}
{%- endmacro %}

{#- the invoice lines the revenue basis counts (R1), over int_invoice_lines_netted's columns -#}
{% macro revenue_basis_filter() -%}
    {{ return('is_paid' if revenue_basis() == 'paid' else 'is_finalized') }}
{%- endmacro %}

{#- R1: when a line of `alias` (int_invoice_lines_netted's columns) was billed in the revenue basis -#}
{% macro billed_at_of(alias) -%}
    {%- if revenue_basis() == 'paid' -%}
        {{ return('coalesce(' ~ alias ~ '.invoice_paid_at, ' ~ alias ~ '.invoice_created_at)') }}
    {%- else -%}
        {{ return('coalesce(' ~ alias ~ '.invoice_finalized_at, ' ~ alias ~ '.invoice_created_at)') }}
    {%- endif -%}
{%- endmacro %}
