{{ config(materialized='view') }}
{#
    D6: every Stripe object whose amounts Stripe never sends (a value beyond 64 bits; a negative
    value where Stripe never sends one), with the reason staging found. These rows are left out of
    revenue and MRR; the test on this model fails naming each one. Nothing reads this model, so its
    failing test stops no other model: the rest of the warehouse builds.
#}
{%- set objects = [
    ('charge', 'stg_stripe__charges', 'charge_id'),
    ('refund', 'stg_stripe__refunds', 'refund_id'),
    ('dispute', 'stg_stripe__disputes', 'dispute_id'),
    ('credit_note', 'stg_stripe__credit_notes', 'credit_note_id'),
    ('invoice', 'stg_stripe__invoices', 'invoice_id'),
    ('invoice_line_item', 'stg_stripe__invoice_line_items', 'line_id'),
    ('price', 'stg_stripe__prices', 'price_id'),
    ('subscription_item', 'stg_stripe__subscription_items', 'subscription_item_id'),
    ('payout', 'stg_stripe__payouts', 'payout_id'),
    ('balance_transaction', 'stg_stripe__balance_transactions', 'balance_transaction_id'),
] %}
with

{% for object_type, model, id_column in objects %}
{{ object_type }}_rejected as (
    select
        source_label,
        '{{ object_type }}' as object_type,
        {{ id_column }} as object_id,
        rejected_reason
    from {{ ref(model) }}
    where rejected_reason is not null
),

{% endfor %}
final as (
    {% for object_type, model, id_column in objects %}
    select * from {{ object_type }}_rejected
    {{ 'union all' if not loop.last }}
    {% endfor %}
)

select * from final
