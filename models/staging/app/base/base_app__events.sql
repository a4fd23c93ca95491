{{ depends_on_placeholder_identifiers() }}
{# Every raw tracking event, parsed and normalised, in exactly one bucket. The largest
   table: one pass over raw, no regular expression per row but the placeholder check.
   Incremental: each run buckets its new raw rows with the held rows of the same event
   ids (macros/staging/incremental.sql). #}
{% set erasure = erasure_spec(identifiers=[
    {'type': 'device_id', 'column': 'device_id'},
    {'type': 'anonymous_id', 'column': 'anonymous_id'},
    {'type': 'account_id', 'column': 'account_id'},
    {'type': 'openid', 'column': 'openid'},
], row_time='event_at') %}
{% set key_columns = ['event_id'] %}
{{ partition_incremental_config(erasure=erasure, key_columns=key_columns) }}
with

source as (
    {{ raw_source('app', 'app_events') }}
),

{{ incremental_source('source', 'app', 'app_events') }},

parsed as (
    select
        *,
        {{ normalise_id('raw_event_id') }} as event_id,
        {{ normalise_lowercase_id('raw_device_id', 'device_id') }} as device_id,
        {{ normalise_lowercase_id('raw_anonymous_id', 'anonymous_id') }} as anonymous_id,
        {{ normalise_id('raw_account_id', 'account_id') }} as account_id,
        {{ normalise_id('raw_openid', 'openid') }} as openid,
        {{ map_enum('raw_event_name', enum_mapping('event_name')) }} as event_name,
        {{ map_enum('raw_platform', enum_mapping('event_platform')) }} as platform,
        {{ clean_text('raw_sku') }} as sku,
        {{ clean_text('raw_category_l1') }} as category_l1,
        {{ clean_text('raw_content_type') }} as content_type,
        {{ clean_text('raw_search_term') }} as search_term,
        {{ clean_text('raw_utm_source') }} as utm_source,
        {{ clean_text('raw_utm_medium') }} as utm_medium,
        {{ clean_text('raw_page_url') }} as page_url,
        {{ clean_text('raw_properties') }} as properties,
        {{ parse_timestamp('raw_event_ts') }} as event_ts,
        {{ parse_timestamp('raw_received_at') }} as received_at
    from incremental_source
),

checked as (
    select
        *,
        {{ quarantine_reason([
            (any_missing(['event_id']), 'missing_key'),
            (any_unparsed(['received_at'], required=['event_ts']), 'unparseable_timestamp'),
            (any_missing(['received_at']), 'missing_key'),
            (any_future_dated([('event_ts', 'received_at')]), 'future_timestamp'),
            (any_missing(['event_name', 'platform']), 'unmapped_enum'),
        ]) }} as quarantine_reason
    from parsed
),

typed_rows as (
    select
        event_id,
        device_id,
        anonymous_id,
        account_id,
        openid,
        event_name,
        platform,
        sku,
        category_l1,
        content_type,
        search_term,
        utm_source,
        utm_medium,
        page_url,
        properties,
        {{ identifier_flags('device_id', 'device_id') }},
        {{ identifier_flags('anonymous_id', 'anonymous_id') }},
        {{ identifier_flags('account_id', 'account_id') }},
        {{ identifier_flags('openid', 'openid') }},
        event_ts as event_at,
        received_at,
        {{ bucket_columns('app', 'app_events', 'received_at', 'raw_event_id') }},
        {{ partition_date('event_ts', 'received_at') }} as _partition_date
    from checked
),

{{ incremental_candidates('typed_rows', key_columns, erasure=erasure) }},

{{ bucketed_rows('candidates', key_columns, erasure=erasure) }}

select * from final
