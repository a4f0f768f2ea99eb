-- Every revenue row has its own id (per source): deferred parts, invoiceless charges and
-- adjustments never collide, and nothing is counted twice.
select source_label, revenue_item_id, count(*) as occurrences
from {{ ref('fct_revenue_items') }}
group by source_label, revenue_item_id
having count(*) > 1
