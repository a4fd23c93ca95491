{{ config(materialized='view') }}
{# Tracking events, one row per event id (re-deliveries removed). #}
with

events as (
    select * from {{ ref('base_app__events') }}
    where row_bucket = 'staged'
),

final as (
    select
        event_id,
        device_id,
        anonymous_id,
        account_id,
        openid,
        event_name,
        platform,
        sku,
        category_l1,
        content_type,
        search_term,
        utm_source,
        utm_medium,
        page_url,
        properties,
        {{ identifier_display_columns('device_id', 'device_id') }},
        {{ identifier_display_columns('anonymous_id', 'anonymous_id') }},
        {{ identifier_display_columns('account_id', 'account_id') }},
        {{ identifier_display_columns('openid', 'openid') }},
        is_device_id_placeholder,
        is_anonymous_id_placeholder,
        is_account_id_placeholder,
        is_openid_placeholder,
        is_device_id_invalid,
        is_anonymous_id_invalid,
        is_account_id_invalid,
        is_openid_invalid,
        event_at,
        received_at,
        _source_file,
        _source_row
    from events
)

select * from final
