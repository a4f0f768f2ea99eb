-- Stripe's balance transactions: net = amount - fee, in the settlement currency.
select source_label, balance_transaction_id, amount, fee, net
from {{ ref('stg_stripe__balance_transactions') }}
where net <> amount - fee
    or net is null
