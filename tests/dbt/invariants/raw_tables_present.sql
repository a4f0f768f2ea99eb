{{ config(severity='warn') }}
-- The raw tables of every source prefix (var stripe_sources) exist. dlt creates a table only once
-- Stripe sent an object of that kind, so a missing table reads as empty (stripe_source macro): this
-- warns so that a missing table that should be there (ingestion not run, wrong prefix, wrong
-- DUCKDB_PATH) is seen.
{%- set missing = [] -%}
{%- for table in ['charge', 'customer', 'invoice', 'invoice_line_item', 'price', 'product', 'subscription',
                  'subscription_item', 'balance_transaction', 'dispute', 'payout', 'credit_note', 'refund',
                  'event'] -%}
    {%- set base = source('stripe', table) -%}
    {%- for prefix in stripe_source_prefixes() if execute -%}
        {%- if adapter.get_relation(database=base.database, schema=base.schema, identifier=prefix ~ table) is none -%}
            {%- do missing.append(base.schema ~ '.' ~ prefix ~ table) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endfor %}
{% if missing | length > 0 -%}
{% for relation in missing %}
select '{{ relation }}' as missing_raw_table{{ ' union all' if not loop.last }}
{% endfor %}
{%- else -%}
select cast(null as {{ dbt.type_string() }}) as missing_raw_table where 1 = 0
{%- endif %}
