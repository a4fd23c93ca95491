{# Every raw campaign row, parsed, in exactly one bucket. A campaign arrives with its
   start (`start_at` is its arrival column); it may end after the load. #}
with

source as (
    {{ raw_source('marketing', 'campaigns') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_campaign_id') }} as campaign_id,
        {{ clean_text('raw_name') }} as campaign_name,
        {{ map_enum('raw_objective', enum_mapping('campaign_objective')) }} as objective,
        {{ map_enum('raw_channel', enum_mapping('contact_channel')) }} as channel,
        {{ parse_timestamp('raw_start_at') }} as start_at,
        {{ parse_timestamp('raw_end_at') }} as end_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['campaign_id']), 'missing_key'),
            (any_unparsed(['start_at', 'end_at']), 'unparseable_timestamp'),
            (any_missing(['start_at']), 'missing_key'),
            (any_future_dated([('start_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_missing(['objective', 'channel']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        campaign_id,
        campaign_name,
        objective,
        channel,
        start_at,
        end_at,
        {{ bucket_columns('marketing', 'campaigns', 'start_at', 'raw_campaign_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['campaign_id']) }}

select * from final
