{#
    primary_key(columns): the columns identify a row (each filled, the combination unique).
    One test for simple and composite keys; the failing rows are the duplicated or null keys.
#}
{% test primary_key(model, columns) %}

with keyed as (
    select
        {% for column in columns %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ model }}
),

null_keys as (
    select *, 1 as occurrences, 'null key' as problem
    from keyed
    where {% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% endfor %}
),

duplicated_keys as (
    select *, count(*) as occurrences, 'duplicate key' as problem
    from keyed
    group by {% for column in columns %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    having count(*) > 1
)

select * from null_keys
union all
select * from duplicated_keys

{% endtest %}
