{{ depends_on_placeholder_identifiers() }}
{# Every raw data-subject request, parsed and normalised, in exactly one bucket. #}
{% set erasure = erasure_spec(identifiers=[
    {'type_column': 'identifier_type', 'column': 'identifier'},
], row_time='requested_at') %}
with

source as (
    {{ raw_source('privacy', 'privacy_requests') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_request_id') }} as request_id,
        {{ map_enum('raw_identifier_type', enum_mapping('identifier_type')) }} as identifier_type,
        {{ map_enum('raw_request_type', enum_mapping('request_type')) }} as request_type,
        {{ parse_timestamp('raw_requested_at') }} as requested_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

normalised as (
    select
        *,
        {{ normalise_identifier_of_type('identifier_type', 'raw_identifier') }} as identifier
    from parsed
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['request_id']), 'missing_key'),
            (any_unparsed(['requested_at']), 'unparseable_timestamp'),
            (any_missing(['requested_at']), 'missing_key'),
            (any_future_dated([('requested_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_missing(['identifier_type', 'request_type']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from normalised
),

typed_rows as (
    select
        request_id,
        identifier_type,
        identifier,
        request_type,
        {{ is_placeholder_of_type('identifier_type', 'identifier') }} as is_identifier_placeholder,
        {{ any_unparsed(['identifier']) }} as is_identifier_invalid,
        requested_at,
        {{ bucket_columns('privacy', 'privacy_requests', 'requested_at', 'raw_request_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['request_id'], erasure=erasure) }}

select * from final
