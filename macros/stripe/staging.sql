{# Columns every staging view carries over from the raw D2 layout. #}
{% macro stripe_raw_keep() -%}
    {{ return(['source_label', 'account_id', 'id', 'created', 'api_version', 'state_at',
               'is_deleted', 'deleted_at', 'parent_id', 'synced_at']) }}
{%- endmacro %}

{# The common tail of a staging select: provenance and deletion flags. #}
{% macro stripe_raw_metadata(alias='extracted') -%}
        {{ alias }}.account_id,
        coalesce({{ alias }}.is_deleted, false) as is_deleted,
        {{ from_unixtime(alias ~ '.deleted_at') }} as deleted_at,
        {{ alias }}.api_version,
        {{ from_unixtime(alias ~ '.state_at') }} as state_at,
        {{ alias }}.synced_at
{%- endmacro %}
