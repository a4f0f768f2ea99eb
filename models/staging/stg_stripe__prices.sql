with

source as (
    {{ stripe_source('price') }}
),

currency_exponents as (
    select * from {{ ref('currency_exponents') }}
),

extracted as (
    {{ json_extract_fields('source', 'data', {
        'product': ['product.id', 'product'],
        'currency': 'currency',
        'unit_amount': 'unit_amount',
        'unit_amount_decimal': 'unit_amount_decimal',
        'type': 'type',
        'billing_scheme': 'billing_scheme',
        'interval': 'recurring.interval',
        'interval_count': 'recurring.interval_count',
        'usage_type': 'recurring.usage_type',
        'active': 'active',
        'nickname': 'nickname',
        'lookup_key': 'lookup_key',
        'metadata': 'metadata',
        'deleted': 'deleted',
    }, keep=stripe_raw_keep()) }}
),

final as (
    select
        extracted.source_label,
        extracted.id as price_id,
        extracted.product as product_id,
        upper(extracted.currency) as currency,
        currency_exponents.exponent as currency_exponent,
        {%- set unit_amount = 'coalesce(' ~ json_integer('extracted.unit_amount') ~ ', '
                              ~ json_integer(round_half_away('cast(extracted.unit_amount_decimal as ' ~ type_double() ~ ')')) ~ ')' %}
        {{ unit_amount }} as unit_amount,
        {{ minor_to_major(unit_amount, 'currency_exponents.exponent') }} as unit_amount_major,
        extracted.type as price_type,
        coalesce(extracted.type = 'recurring', extracted.interval is not null) as is_recurring,
        extracted.billing_scheme,
        extracted.interval as recurring_interval,
        cast(extracted.interval_count as integer) as recurring_interval_count,
        -- months per billing interval (M1); null for one-time prices and day/week intervals
        case extracted.interval
            when 'month' then cast(extracted.interval_count as integer)
            when 'year' then 12 * cast(extracted.interval_count as integer)
        end as interval_months,
        extracted.usage_type,
        cast(extracted.active as boolean) as is_active,
        extracted.nickname,
        extracted.lookup_key,
        extracted.metadata,
        -- amounts Stripe never sends (beyond 64 bits, negative where never negative): kept here, left out of revenue (D6)
        {{ rejected_amount_reason({'unit_amount': 'extracted.unit_amount'},
                                  non_negative=['unit_amount']) }} as rejected_reason,
        {{ from_unixtime('extracted.created') }} as created_at,
        extracted.account_id,
        coalesce(extracted.is_deleted, false) or coalesce(cast(extracted.deleted as boolean), false) as is_deleted,
        {{ from_unixtime('extracted.deleted_at') }} as deleted_at,
        extracted.api_version,
        {{ from_unixtime('extracted.state_at') }} as state_at,
        extracted.synced_at
    from extracted
    left join currency_exponents
        on upper(extracted.currency) = currency_exponents.currency
)

select * from final
