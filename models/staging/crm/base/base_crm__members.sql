{{ depends_on_placeholder_identifiers() }}
{# Every raw CRM member row, parsed and normalised, in exactly one bucket. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'member_id', 'column': 'member_id'},
    {'type': 'card_no', 'column': 'card_no'},
    {'type': 'unionid', 'column': 'unionid'},
    {'type': 'phone', 'column': 'phone'},
    {'type': 'email', 'column': 'email'},
], row_time='updated_at') %}
with

source as (
    {{ raw_source('crm', 'crm_members') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_member_id', 'member_id') }} as member_id,
        {{ normalise_id('raw_card_no', 'card_no') }} as card_no,
        {{ normalise_id('raw_unionid', 'unionid') }} as unionid,
        {{ clean_text('raw_full_name') }} as full_name,
        {{ normalise_phone('raw_phone') }} as phone,
        {{ normalise_email('raw_email') }} as email,
        {{ clean_text('raw_city') }} as city,
        {{ map_enum('raw_gender', enum_mapping('gender')) }} as gender,
        {{ map_enum('raw_register_channel', enum_mapping('register_channel')) }} as register_channel,
        {{ parse_date('raw_birth_date') }} as birth_date,
        {{ parse_timestamp('raw_registered_at') }} as registered_at,
        {{ parse_timestamp('raw_updated_at') }} as updated_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_unparsed(['member_id']), 'invalid_identifier'),
            (any_missing(['member_id']), 'missing_key'),
            (any_unparsed(['registered_at', 'updated_at']), 'unparseable_timestamp'),
            (any_missing(['updated_at']), 'missing_key'),
            (any_future_dated([('registered_at', 'updated_at'), ('updated_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_unparsed(['gender', 'register_channel']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        member_id,
        card_no,
        unionid,
        full_name,
        phone,
        email,
        coalesce(gender, 'unknown') as gender,
        city,
        register_channel,
        {{ identifier_flags('member_id', 'member_id') }},
        {{ identifier_flags('card_no', 'card_no') }},
        {{ identifier_flags('unionid', 'unionid') }},
        {{ identifier_flags('phone', 'phone') }},
        {{ identifier_flags('email', 'email') }},
        {{ any_unparsed(['birth_date']) }} as is_birth_date_invalid,
        birth_date,
        registered_at,
        updated_at,
        {{ bucket_columns('crm', 'crm_members', 'updated_at', 'raw_member_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['member_id'], erasure=erasure) }}

select * from final
