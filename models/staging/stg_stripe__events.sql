with

source as (
    {{ stripe_source('event') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'type': 'type',
        'event_api_version': 'api_version',
        'object_id': 'data.object.id',
        'object_type': 'data.object.object',
        'account': 'account',
        'request_id': 'request.id',
        'pending_webhooks': 'pending_webhooks',
        'livemode': 'livemode',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        source_label,
        id as event_id,
        type as event_type,
        object_id,
        object_type,
        request_id,
        cast(pending_webhooks as integer) as pending_webhooks,
        cast(livemode as boolean) as is_livemode,
        {{ from_unixtime('created') }} as created_at,
        coalesce(account_id, account) as account_id,
        coalesce(is_deleted, false) as is_deleted,
        {{ from_unixtime('deleted_at') }} as deleted_at,
        coalesce(event_api_version, api_version) as api_version,
        {{ from_unixtime('state_at') }} as state_at,
        synced_at
    from extracted
)

select * from final
