-- D3: every currency in the Stripe data has an exponent in seeds/currency_exponents.csv (else its
-- major units and conversions would be null).
with

seen as (
    {% for model in ['stg_stripe__charges', 'stg_stripe__invoices', 'stg_stripe__invoice_line_items',
                     'stg_stripe__refunds', 'stg_stripe__credit_notes', 'stg_stripe__disputes',
                     'stg_stripe__balance_transactions', 'stg_stripe__payouts', 'stg_stripe__prices',
                     'stg_stripe__subscription_items'] %}
    select distinct '{{ model }}' as model, currency from {{ ref(model) }} where currency is not null
    {{ 'union all' if not loop.last }}
    {% endfor %}
)

select seen.model, seen.currency
from seen
left join {{ ref('currency_exponents') }} as exponents
    on seen.currency = exponents.currency
where exponents.currency is null
