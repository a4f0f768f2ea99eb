{#
    An incremental table, not a view (S1): read by several models and tests in every build; its JSON
    is parsed once, and later builds parse only the raw rows synced since (as stg_stripe__invoices).
    A change of this model's logic needs `--full-refresh`.
#}
{{ config(
    materialized='incremental',
    unique_key=['source_label', 'customer_id'],
    post_hook="{{ stripe_prune_missing('customer', 'customer_id') }}"
) }}
with

source as (
    {{ stripe_source('customer', incremental_since='synced_at') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'name': 'name',
        'email': 'email',
        'phone': 'phone',
        'description': 'description',
        'address': 'address',
        'country': 'address.country',
        'shipping_country': 'shipping.address.country',
        'currency': 'currency',
        'balance': 'balance',
        'delinquent': 'delinquent',
        'metadata': 'metadata',
        'discount_id': 'discount.id',
        'deleted': 'deleted',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        source_label,
        id as customer_id,
        name,
        email,
        phone,
        description,
        address,
        upper(coalesce(country, shipping_country)) as country,
        upper(currency) as currency,
        {{ json_integer('balance') }} as balance,
        cast(delinquent as boolean) as is_delinquent,
        metadata,
        discount_id,
        {{ from_unixtime('created') }} as created_at,
        account_id,
        -- deleted customers are kept (their invoices and charges still count) and flagged
        coalesce(is_deleted, false) or coalesce(cast(deleted as boolean), false) as is_deleted,
        {{ from_unixtime('deleted_at') }} as deleted_at,
        api_version,
        {{ from_unixtime('state_at') }} as state_at,
        synced_at
    from extracted
)

select final.*, {{ built_at() }} as built_at from final
