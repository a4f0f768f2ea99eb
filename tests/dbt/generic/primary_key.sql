{#
    primary_key(columns, checked_since): the columns identify a row (each filled, the combination
    unique). One test for simple and composite keys; the failing rows are the duplicated or null keys.

    checked_since (optional, a timestamp column, `built_at` on the big incremental tables): test only
    the keys of rows written after every data test last passed, and every row holding one of them
    (macros/build/checked_since.sql, DECISIONS.md S11); all rows when that instant is unknown.
#}
{% test primary_key(model, columns, checked_since=none) %}
{%- set passed_through = data_tests_passed_through() if checked_since is not none else none %}

with

keyed as (
    select
        {% for column in columns %}tested.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ model }} as tested
    {%- if passed_through is not none %}
    where exists (
        select 1
        from {{ model }} as changed
        where changed.{{ checked_since }} > {{ passed_through }}
            and {{ keys_match('changed', 'tested', columns) }}
    )
    {%- endif %}
),

null_keys as (
    select
        {% for column in columns %}{{ column }}{{ ', ' if not loop.last }}{% endfor %},
        1 as occurrences, 'null key' as problem
    from {{ model }}
    where ({% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% endfor %})
    {%- if passed_through is not none %}
        and {{ checked_since }} > {{ passed_through }}
    {%- endif %}
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
