-- Every revenue row's customer is a customer of the managed customer view (same source): the
-- views join without losing revenue.
select items.source_label, items.revenue_item_id, items.customer_id
from {{ ref('fct_revenue_items') }} as items
left join {{ ref('revenue_analytics_customer') }} as customers
    on items.source_label = customers.source_label
    and items.customer_id = customers.id
where items.customer_id is not null
    and customers.id is null
