{{ depends_on_placeholder_identifiers() }}
{# Every raw service ticket row (one per ticket version), parsed and normalised, in exactly one bucket. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'account_id', 'column': 'account_id'},
    {'type': 'phone', 'column': 'contact_phone'},
    {'type': 'email', 'column': 'contact_email'},
], row_time='updated_at') %}
with

source as (
    {{ raw_source('service', 'service_tickets') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_ticket_id') }} as ticket_id,
        {{ normalise_id('raw_account_id', 'account_id') }} as account_id,
        {{ normalise_phone('raw_contact_phone') }} as contact_phone,
        {{ normalise_email('raw_contact_email') }} as contact_email,
        {{ map_enum('raw_channel', enum_mapping('ticket_channel')) }} as channel,
        {{ map_enum('raw_category', enum_mapping('ticket_category')) }} as category,
        {{ clean_text('raw_comment') }} as customer_comment,
        {{ parse_score('raw_satisfaction', 1, 5) }} as satisfaction,
        {{ parse_timestamp('raw_created_at') }} as created_at,
        {{ parse_timestamp('raw_resolved_at') }} as resolved_at,
        {{ parse_timestamp('raw_updated_at') }} as updated_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['ticket_id']), 'missing_key'),
            (any_unparsed(['resolved_at', 'updated_at'], required=['created_at']), 'unparseable_timestamp'),
            (any_missing(['updated_at']), 'missing_key'),
            (any_future_dated([('created_at', 'updated_at'), ('resolved_at', 'updated_at'), ('updated_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_unparsed(['satisfaction'], required=['channel', 'category']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        ticket_id,
        account_id,
        contact_phone,
        contact_email,
        channel,
        category,
        customer_comment,
        satisfaction,
        {{ identifier_flags('account_id', 'account_id') }},
        {{ identifier_flags('phone', 'contact_phone') }},
        {{ identifier_flags('email', 'contact_email') }},
        created_at,
        resolved_at,
        updated_at,
        {{ bucket_columns('service', 'service_tickets', 'updated_at', 'raw_ticket_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['ticket_id'], erasure=erasure) }}

select * from final
