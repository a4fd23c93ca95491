-- depends_on: {{ ref('placeholder_identifiers') }}
{# Every raw CRM member row, parsed and normalised, in exactly one bucket. #}
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
        {{ normalise_id('raw_member_id') }} as member_id,
        {{ normalise_id('raw_card_no') }} as card_no,
        {{ normalise_id('raw_unionid') }} as unionid,
        {{ clean_text('raw_full_name') }} as full_name,
        {{ normalise_phone('raw_phone') }} as phone,
        {{ normalise_email('raw_email') }} as email,
        {{ clean_text('raw_city') }} as city,
        {{ map_enum('raw_gender', enum_mapping('gender')) }} as gender_mapped,
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
            ('member_id is null', 'missing_key'),
            (is_unparseable_timestamp('raw_updated_at', 'updated_at') ~ ' or ' ~ is_unparseable_timestamp('raw_registered_at', 'registered_at'), 'unparseable_timestamp'),
            ('updated_at is null', 'missing_key'),
            (is_future_dated('registered_at', 'updated_at') ~ ' or ' ~ is_future_dated('updated_at', 'loaded_through_at'), 'future_timestamp'),
            (is_unmapped_enum('raw_gender', 'gender_mapped') ~ ' or ' ~ is_unmapped_enum('raw_register_channel', 'register_channel'), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

final as (
    select
        member_id,
        card_no,
        unionid,
        full_name,
        phone,
        email,
        coalesce(gender_mapped, 'unknown') as gender,
        city,
        register_channel,
        {{ identifier_hash('member_id', 'member_id') }} as member_id_hash,
        {{ identifier_hash('phone', 'phone') }} as phone_hash,
        {{ identifier_hash('email', 'email') }} as email_hash,
        {{ mask_phone('phone') }} as phone_masked,
        {{ mask_email('email') }} as email_masked,
        {{ is_placeholder('member_id', 'member_id') }} as is_member_id_placeholder,
        {{ is_placeholder('card_no', 'card_no') }} as is_card_no_placeholder,
        {{ is_placeholder('unionid', 'unionid') }} as is_unionid_placeholder,
        {{ is_placeholder('phone', 'phone') }} as is_phone_placeholder,
        {{ is_placeholder('email', 'email') }} as is_email_placeholder,
        ({{ clean_text('raw_phone') }} is not null and phone is null) as is_phone_invalid,
        ({{ clean_text('raw_email') }} is not null and email is null) as is_email_invalid,
        ({{ clean_text('raw_birth_date') }} is not null and birth_date is null) as is_birth_date_invalid,
        birth_date,
        registered_at,
        updated_at,
        updated_at as arrived_at,
        _source_file,
        _source_row,
        quarantine_reason,
        case
            when quarantine_reason is not null
                then {{ raw_row_json('crm', 'crm_members') }}
        end as raw_row_json,
        raw_member_id as raw_key,
        {{ row_bucket(['member_id'], 'updated_at') }} as row_bucket
    from checked
)

select * from final
