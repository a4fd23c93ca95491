{{ depends_on_placeholder_identifiers() }}
{# Every raw shop account row, parsed and normalised, in exactly one bucket. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'account_id', 'column': 'account_id'},
    {'type': 'phone', 'column': 'phone'},
    {'type': 'email', 'column': 'email'},
], row_time='updated_at') %}
with

source as (
    {{ raw_source('shop', 'shop_accounts') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_account_id', 'account_id') }} as account_id,
        {{ clean_text('raw_nickname') }} as nickname,
        {{ normalise_phone('raw_phone') }} as phone,
        {{ normalise_email('raw_email') }} as email,
        {{ parse_timestamp('raw_created_at') }} as created_at,
        {{ parse_timestamp('raw_updated_at') }} as updated_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_unparsed(['account_id']), 'invalid_identifier'),
            (any_missing(['account_id']), 'missing_key'),
            (any_unparsed(['created_at', 'updated_at']), 'unparseable_timestamp'),
            (any_missing(['updated_at']), 'missing_key'),
            (any_future_dated([('created_at', 'updated_at'), ('updated_at', 'loaded_through_at')]), 'future_timestamp'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        account_id,
        nickname,
        phone,
        email,
        {{ identifier_flags('account_id', 'account_id') }},
        {{ identifier_flags('phone', 'phone') }},
        {{ identifier_flags('email', 'email') }},
        created_at,
        updated_at,
        {{ bucket_columns('shop', 'shop_accounts', 'updated_at', 'raw_account_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['account_id'], erasure=erasure) }}

select * from final
