{#
    expression_holds(expression): every row satisfies the SQL boolean `expression` (over the model's
    columns); the failing rows are returned. A null result fails.
#}
{% test expression_holds(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
