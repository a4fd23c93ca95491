{{ config(materialized='view') }}
{# WeChat users: the latest valid version of each openid. #}
with

wechat_users as (
    select * from {{ ref('base_wechat__users') }}
    where row_bucket = 'staged'
),

final as (
    select
        openid,
        unionid,
        app_id,
        phone,
        {{ identifier_display_columns('openid', 'openid') }},
        {{ identifier_display_columns('unionid', 'unionid') }},
        {{ identifier_display_columns('phone', 'phone') }},
        is_openid_placeholder,
        is_unionid_placeholder,
        is_phone_placeholder,
        is_unionid_invalid,
        is_phone_invalid,
        is_subscribed,
        first_seen_at,
        updated_at,
        _source_file,
        _source_row
    from wechat_users
)

select * from final
