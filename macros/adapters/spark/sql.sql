{#
    Spark SQL (Apache Spark 3.4+ / 4, Databricks) bodies of the project's dispatched macros (DECISIONS.md X1,
    X2). Each sits beside nothing else of Spark's: the generic macro, its duckdb__ and postgres__ bodies
    and their reasons are in the file named after each group below.
#}

{# ---- types (macros/sql/types.sql, macros/revenue/money.sql) ---- #}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- Spark's TIMESTAMP is an instant shown in the session time zone (UTC in profiles.yml): timestamptz -#}
{% macro spark__type_timestamptz() -%}
    timestamp
{%- endmacro %}

{#- dlt's json columns are parquet strings in the lake -#}
{% macro spark__type_json() -%}
    string
{%- endmacro %}

{% macro spark__wide_integer_type() -%}
    decimal(38, 0)
{%- endmacro %}

{#- `div` is exact integer division (a decimal `/` rounds to 6 decimals first); its result is a bigint -#}
{% macro spark__int_div(a, b) -%}
    (({{ a }}) div ({{ b }}))
{%- endmacro %}


{# ---- raw rows (macros/stripe/stripe_source.sql) ---- #}

{#-
    The lake only appends (ingestion/lake.py): an object changed between loads has a row per version.
    The latest state wins, as dlt's merge decides it on the warehouses (D2: highest state_at, then the
    later load), so staging reads one row per id.
-#}
{% macro spark__stripe_raw_relation(relation) -%}
    (select {{ stripe_raw_columns() | join(', ') }} from (
        select *, row_number() over (partition by id order by state_at desc nulls last, synced_at desc) as _version
        from {{ relation }}
    ) as _versions where _version = 1)
{%- endmacro %}


{# ---- JSON (macros/sql/json.sql, macros/stripe/stripe_amounts.sql, macros/persons/product_analytics.sql) ---- #}

{#- get_json_object's JSONPath is DuckDB's: $.a.b[0]; strings unquoted, objects and arrays as JSON text -#}
{% macro spark__json_extract_fields(from_relation, json_column, fields, keep) -%}
    select
        {% for column in keep %}{{ column }},
        {% endfor -%}
        {% for name, spec in fields.items() -%}
        {%- set spec_paths = [spec] if spec is string else spec -%}
        {%- if spec_paths | length == 1 -%}
        get_json_object({{ json_column }}, '{{ _json_path_duckdb(spec_paths[0]) }}') as {{ name }}
        {%- else -%}
        coalesce({% for p in spec_paths %}get_json_object({{ json_column }}, '{{ _json_path_duckdb(p) }}'){{ ', ' if not loop.last }}{% endfor %}) as {{ name }}
        {%- endif %}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__json_extract_text(json_column, path) -%}
    get_json_object({{ json_column }}, '{{ _json_path_duckdb(path) }}')
{%- endmacro %}

{#- DuckDB's try_cast reading: a decimal rounds half away from zero, an exponent applies; null beyond 64 bits -#}
{% macro spark__json_integer(text) -%}
    (case when try_cast(trim({{ text }}) as decimal(38, 0)) between -9223372036854775808 and 9223372036854775807
        then cast(try_cast(trim({{ text }}) as decimal(38, 0)) as bigint) end)
{%- endmacro %}

{#- the integers `key` of the objects of a JSON array text, nulls dropped (from_json reads a scalar as its text) -#}
{% macro _spark_json_array_integers(json_array_text, key, where_key=none, where_value=none) -%}
    {%- set fields = '`' ~ key ~ '`: string' ~ (', `' ~ where_key ~ '`: string' if where_key else '') -%}
    {%- set elements = "from_json(" ~ json_array_text ~ ", 'array<struct<" ~ fields ~ ">>')" -%}
    {%- if where_key -%}
        {%- set elements = "filter(" ~ elements ~ ", e -> e.`" ~ where_key ~ "` = '" ~ where_value ~ "')" -%}
    {%- endif -%}
    array_compact(transform({{ elements }}, e -> {{ json_integer('e.`' ~ key ~ '`') }}))
{%- endmacro %}

{% macro spark__json_array_sum(json_array_text, key) -%}
    coalesce(aggregate({{ _spark_json_array_integers(json_array_text, key) }}, cast(0 as bigint), (total, x) -> total + x), 0)
{%- endmacro %}

{#- null when no element matches, like DuckDB's list aggregates -#}
{% macro spark__json_array_aggregate_where(json_array_text, aggregate, key, where_key, where_value) -%}
    {%- set values = _spark_json_array_integers(json_array_text, key, where_key, where_value) -%}
    {%- if aggregate == 'sum' -%}
    (case when size({{ values }}) > 0 then aggregate({{ values }}, cast(0 as bigint), (total, x) -> total + x) end)
    {%- elif aggregate == 'min' -%}
    array_min({{ values }})
    {%- elif aggregate == 'max' -%}
    array_max({{ values }})
    {%- else -%}
    {{ exceptions.raise_compiler_error("json_array_aggregate_where on Spark: aggregate sum, min or max, not " ~ aggregate) }}
    {%- endif -%}
{%- endmacro %}

{#- a generator in the select list: inline() of (element, 1-based index) structs; none for null or a non-array -#}
{% macro spark__json_array_unnest(json_array_text, value_alias, index_alias) -%}
    inline(transform(from_json({{ json_array_text }}, 'array<string>'),
        (e, i) -> struct(e as {{ value_alias }}, i + 1 as {{ index_alias }}))) as ({{ value_alias }}, {{ index_alias }})
{%- endmacro %}

{% macro spark__json_object_key_text(json_expr, key) -%}
    get_json_object({{ json_expr }}, '$[\'{{ key | replace("'", "") }}\']')
{%- endmacro %}

{#- Stripe metadata is a string map: parsed as one, the key replaced, written back as JSON text -#}
{% macro spark__json_object_with_key(json_expr, key, value_expr) -%}
    case
        when {{ value_expr }} is null then {{ json_expr }}
        else to_json(map_concat(
            map_filter(coalesce(from_json({{ json_expr }}, 'map<string, string>'), cast(map() as map<string, string>)),
                       (k, v) -> k <> '{{ key | replace("'", "") }}'),
            map('{{ key | replace("'", "") }}', cast({{ value_expr }} as string))))
    end
{%- endmacro %}


{# ---- dates (macros/sql/dates.sql) ---- #}

{% macro spark__from_unixtime(seconds) -%}
    timestamp_seconds(cast({{ seconds }} as bigint))
{%- endmacro %}

{% macro spark__year_month(date_expr) -%}
    date_format(cast({{ date_expr }} as date), 'yyyy-MM')
{%- endmacro %}

{% macro spark__date_text(date_expr) -%}
    date_format(cast({{ date_expr }} as date), 'yyyy-MM-dd')
{%- endmacro %}

{% macro spark__timestamptz_text_utc(ts_expr) -%}
    date_format({{ ts_expr }}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')
{%- endmacro %}

{#- explode() in the select list; sequence() fails on start > end where generate_series is empty: guarded -#}
{% macro spark__day_series(from_relation, start_date, end_date) -%}
    select {{ from_relation }}.*,
        explode(case when cast({{ end_date }} as date) >= cast({{ start_date }} as date)
            then sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day) end) as date_day
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__month_series(from_relation, start_month, end_month) -%}
    select explode(case when cast({{ end_month }} as date) >= cast({{ start_month }} as date)
            then sequence(cast({{ start_month }} as date), cast({{ end_month }} as date), interval 1 month) end) as month_start
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__integer_series_unnest(n, alias) -%}
    explode(sequence(cast(0 as bigint), cast({{ n }} as bigint) - 1)) as {{ alias }}
{%- endmacro %}

{#- Spark has no JSON type: the marts' JSON columns are JSON text -#}
{% macro spark__type_json_column() -%}
    string
{%- endmacro %}


{# ---- contracts ---- #}

{#-
    The marts' contracts name their types as DuckDB and Postgres spell them (varchar, json, double precision,
    timestamp with time zone). dbt checks a contract by casting null to each declared type (dbt's `cast`):
    on Spark each is read as the Spark type that stores the same values, so one yml serves every engine.
-#}
{% macro spark_type(data_type) -%}
    {%- set normalized = data_type | trim | lower -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'character varying': 'string', 'json': 'string',
                     'jsonb': 'string', 'double precision': 'double', 'timestamp with time zone': 'timestamp',
                     'timestamptz': 'timestamp', 'hugeint': 'decimal(38, 0)'} -%}
    {{ return(names.get(normalized, data_type)) }}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}


{# ---- incremental models ---- #}

{#-
    On Spark every incremental model is rebuilt whole (dbt_project.yml `+full_refresh`, DECISIONS.md X2):
    its strategy is never applied, so delete+insert, the models' choice on DuckDB and Postgres, passes
    dbt-spark's check as append. Any other strategy is checked by dbt-spark as usual.
-#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(
        'append' if raw_strategy == 'delete+insert' else raw_strategy, file_format)) }}
{%- endmacro %}

{% macro spark__keeps_change_log() -%}
    {{ return(false) }}
{%- endmacro %}


{# ---- catalog (macros/sql/types.sql): Spark has no information_schema ---- #}

{% macro spark__relation_exists_now(relation) -%}
    {%- set found = run_query("show tables in " ~ relation.schema ~ " like '" ~ relation.identifier ~ "'") -%}
    {{ return(found.rows | length > 0) }}
{%- endmacro %}

{#- Spark has temporary views, not tables: the incremental hooks that make one never run on Spark -#}
{% macro spark__temp_table_exists_sql(name) -%}
    select 0
{%- endmacro %}

{#- one statement (a hook is one on Spark), and parquet tables have no DELETE -#}
{% macro spark__replace_rows_with_values(relation, values) -%}
    insert overwrite table {{ relation }} values ({{ values }})
{%- endmacro %}
