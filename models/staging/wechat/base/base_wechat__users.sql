{{ depends_on_placeholder_identifiers() }}
{# Every raw WeChat user row (one per openid version), parsed and normalised, in exactly one bucket. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'openid', 'column': 'openid'},
    {'type': 'unionid', 'column': 'unionid'},
    {'type': 'phone', 'column': 'phone'},
], row_time='updated_at') %}
with

source as (
    {{ raw_source('wechat', 'wechat_users') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_openid', 'openid') }} as openid,
        {{ normalise_id('raw_unionid', 'unionid') }} as unionid,
        {{ clean_text('raw_app_id') }} as app_id,
        {{ normalise_phone('raw_phone') }} as phone,
        {{ parse_boolean('raw_subscribed') }} as subscribed,
        {{ parse_timestamp('raw_first_seen_at') }} as first_seen_at,
        {{ parse_timestamp('raw_updated_at') }} as updated_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_unparsed(['openid']), 'invalid_identifier'),
            (any_missing(['openid']), 'missing_key'),
            (any_unparsed(['first_seen_at', 'updated_at']), 'unparseable_timestamp'),
            (any_missing(['updated_at']), 'missing_key'),
            (any_future_dated([('first_seen_at', 'updated_at'), ('updated_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_unparsed(['subscribed']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        openid,
        unionid,
        app_id,
        phone,
        {{ identifier_flags('openid', 'openid') }},
        {{ identifier_flags('unionid', 'unionid') }},
        {{ identifier_flags('phone', 'phone') }},
        subscribed as is_subscribed,
        first_seen_at,
        updated_at,
        {{ bucket_columns('wechat', 'wechat_users', 'updated_at', 'raw_openid') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['openid'], erasure=erasure) }}

select * from final
