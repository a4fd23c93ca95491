{{ depends_on_placeholder_identifiers() }}
{# Every raw campaign touch, parsed and normalised, in exactly one bucket. Control
   touches are held out: no `sent_at`. #}
{% set erasure = erasure_spec(identifiers=[
    {'type_column': 'recipient_type', 'column': 'recipient'},
], row_time='sent_at') %}
with

source as (
    {{ raw_source('marketing', 'campaign_touches') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_touch_id') }} as touch_id,
        {{ normalise_id('raw_campaign_id') }} as campaign_id,
        {{ map_enum('raw_channel', enum_mapping('contact_channel')) }} as channel,
        {{ map_enum('raw_recipient_type', enum_mapping('recipient_type')) }} as recipient_type,
        {{ map_enum('raw_assigned_group', enum_mapping('assigned_group')) }} as assigned_group,
        {{ parse_timestamp('raw_sent_at') }} as sent_at,
        {{ parse_timestamp('raw_opened_at') }} as opened_at,
        {{ parse_timestamp('raw_clicked_at') }} as clicked_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

normalised as (
    select
        *,
        {{ normalise_identifier_of_type('recipient_type', 'raw_recipient') }} as recipient
    from parsed
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['touch_id']), 'missing_key'),
            (any_unparsed(['sent_at', 'opened_at', 'clicked_at']), 'unparseable_timestamp'),
            (any_future_dated([('sent_at', 'loaded_through_at'), ('opened_at', 'loaded_through_at'), ('clicked_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_missing(['channel', 'recipient_type', 'assigned_group']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from normalised
),

typed_rows as (
    select
        touch_id,
        campaign_id,
        channel,
        recipient_type,
        recipient,
        assigned_group,
        {{ is_placeholder_of_type('recipient_type', 'recipient') }} as is_recipient_placeholder,
        {{ any_unparsed(['recipient']) }} as is_recipient_invalid,
        sent_at,
        opened_at,
        clicked_at,
        {{ bucket_columns('marketing', 'campaign_touches', 'sent_at', 'raw_touch_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['touch_id'], erasure=erasure) }}

select * from final
