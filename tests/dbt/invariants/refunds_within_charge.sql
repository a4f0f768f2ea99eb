-- R8: a charge is never refunded more than was captured (succeeded refunds, summed per charge).
with

refunds as (
    select source_label, charge_id, sum(amount) as refunded
    from {{ ref('stg_stripe__refunds') }}
    where status = 'succeeded'
    group by source_label, charge_id
)

select refunds.source_label, refunds.charge_id, refunds.refunded, charges.amount_captured
from refunds
left join {{ ref('stg_stripe__charges') }} as charges
    on refunds.source_label = charges.source_label
    and refunds.charge_id = charges.charge_id
where charges.charge_id is null
    or (refunds.refunded > charges.amount_captured
        and charges.rejected_reason is null)  -- a charge with amounts Stripe never sends: stripe_amounts_valid
