{{ config(materialized='view') }}
{# Data-subject requests, one row per request id. #}
with

requests as (
    select * from {{ ref('base_privacy__requests') }}
    where row_bucket = 'staged'
),

final as (
    select
        request_id,
        identifier_type,
        identifier,
        request_type,
        {{ identifier_hash_of_type('identifier_type', 'identifier') }} as identifier_hash,
        is_identifier_placeholder,
        is_identifier_invalid,
        requested_at,
        _source_file,
        _source_row
    from requests
)

select * from final
