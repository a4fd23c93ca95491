{{ depends_on_placeholder_identifiers() }}
{# Every raw survey response, parsed and normalised, in exactly one bucket. #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'phone', 'column': 'phone'},
    {'type': 'email', 'column': 'email'},
], row_time='submitted_at') %}
with

source as (
    {{ raw_source('survey', 'survey_responses') }}
),

watermark as (
    select loaded_through_at from {{ ref('base_raw__load_watermark') }}
),

parsed as (
    select
        source.*,
        {{ normalise_id('raw_response_id') }} as response_id,
        {{ normalise_phone('raw_phone') }} as phone,
        {{ normalise_email('raw_email') }} as email,
        {{ clean_text('raw_interests') }} as interests,
        {{ map_enum('raw_age_band', enum_mapping('age_band')) }} as age_band,
        {{ map_enum('raw_income_band', enum_mapping('income_band')) }} as income_band,
        {{ parse_score('raw_nps', 0, 10) }} as nps,
        {{ parse_timestamp('raw_submitted_at') }} as submitted_at,
        watermark.loaded_through_at
    from source
    cross join watermark
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['response_id']), 'missing_key'),
            (any_unparsed(['submitted_at']), 'unparseable_timestamp'),
            (any_missing(['submitted_at']), 'missing_key'),
            (any_future_dated([('submitted_at', 'loaded_through_at')]), 'future_timestamp'),
            (any_unparsed(['age_band', 'income_band', 'nps']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        response_id,
        phone,
        email,
        interests,
        age_band,
        income_band,
        nps,
        {{ identifier_flags('phone', 'phone') }},
        {{ identifier_flags('email', 'email') }},
        submitted_at,
        {{ bucket_columns('survey', 'survey_responses', 'submitted_at', 'raw_response_id') }}
    from checked
),

{{ bucketed_rows('typed_rows', ['response_id'], erasure=erasure) }}

select * from final
