{{ depends_on_placeholder_identifiers() }}
{# Every raw shop order row (one per order version), parsed and normalised, in exactly one
   bucket. Incremental (macros/staging/incremental.sql): a status update is bucketed with
   the held versions of its order. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'account_id', 'column': 'account_id'},
    {'type': 'phone', 'column': 'ship_phone', 'scrub': true},
], row_time='updated_at') %}
{% set key_columns = ['order_id'] %}
{{ partition_incremental_config(erasure=erasure, key_columns=key_columns) }}
with

source as (
    {{ raw_source('shop', 'shop_orders') }}
),

{{ incremental_source('source', 'shop', 'shop_orders') }},

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        incremental_source.*,
        {{ normalise_id('raw_order_id') }} as order_id,
        {{ normalise_id('raw_account_id', 'account_id') }} as account_id,
        {{ clean_text('raw_coupon_code') }} as coupon_code,
        {{ clean_text('raw_ship_city') }} as ship_city,
        {{ normalise_phone('raw_ship_phone') }} as ship_phone,
        {{ map_enum('raw_status', enum_mapping('order_status')) }} as status,
        {{ map_enum('raw_platform', enum_mapping('order_platform')) }} as platform,
        {{ parse_amount('raw_total_amount') }} as total_amount,
        {{ parse_amount('raw_discount_amount') }} as discount_amount,
        {{ parse_timestamp('raw_order_ts') }} as order_ts,
        {{ parse_timestamp('raw_updated_at') }} as updated_at,
        watermark.loaded_through_at
    from incremental_source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['order_id']), 'missing_key'),
            (any_unparsed(['updated_at'], required=['order_ts']), 'unparseable_timestamp'),
            (any_missing(['updated_at']), 'missing_key'),
            (any_future_dated([('order_ts', 'updated_at'), ('updated_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_unparsed(['discount_amount'], required=['total_amount']), 'unparseable_amount'),
            (any_absurd_amount(['total_amount', 'discount_amount']), 'absurd_amount'),
            (any_missing(['status', 'platform']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        order_id,
        account_id,
        coupon_code,
        ship_city,
        ship_phone,
        status,
        platform,
        total_amount,
        discount_amount,
        {{ identifier_flags('account_id', 'account_id') }},
        {{ identifier_flags('phone', 'ship_phone') }},
        order_ts as ordered_at,
        updated_at,
        {{ bucket_columns('shop', 'shop_orders', 'updated_at', 'raw_order_id') }},
        {{ partition_date('order_ts', 'updated_at') }} as _partition_date
    from checked
),

{{ incremental_candidates('typed_rows', key_columns, erasure=erasure) }},

{{ bucketed_rows('candidates', key_columns, erasure=erasure) }}

select * from final
