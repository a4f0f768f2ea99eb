with

source as (
    {{ stripe_source('product') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'name': 'name',
        'description': 'description',
        'active': 'active',
        'type': 'type',
        'default_price': ['default_price.id', 'default_price'],
        'unit_label': 'unit_label',
        'updated': 'updated',
        'metadata': 'metadata',
        'deleted': 'deleted',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        source_label,
        id as product_id,
        name,
        description,
        cast(active as boolean) as is_active,
        type as product_type,
        default_price as default_price_id,
        unit_label,
        metadata,
        {{ from_unixtime('created') }} as created_at,
        {{ from_unixtime('updated') }} as updated_at,
        account_id,
        coalesce(is_deleted, false) or coalesce(cast(deleted as boolean), false) as is_deleted,
        {{ from_unixtime('deleted_at') }} as deleted_at,
        api_version,
        {{ from_unixtime('state_at') }} as state_at,
        synced_at
    from extracted
)

select * from final
