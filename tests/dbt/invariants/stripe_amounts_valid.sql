-- D6: no Stripe object carries an amount Stripe never sends (beyond 64 bits; negative where Stripe
-- never sends a negative value). Such objects are left out of revenue and MRR and listed in
-- int_stripe_amounts_rejected; nothing reads that model, so this failing test stops no other node.
-- The first 20 are named in the log, with the reason.
{%- set query %}
select object_type, object_id, source_label, rejected_reason
from {{ ref('int_stripe_amounts_rejected') }}
{%- endset %}
{{ name_failing_rows('stripe_amounts_valid', query, ['object_type', 'object_id', 'source_label', 'rejected_reason'],
                     'left out of revenue and MRR; correct the object in Stripe or report it') }}
{{ query }}
