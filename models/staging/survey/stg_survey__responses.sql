{{ config(materialized='view') }}
{# Survey responses, one row per response id. #}
with

responses as (
    select * from {{ ref('base_survey__responses') }}
    where row_bucket = 'staged'
),

final as (
    select
        response_id,
        phone,
        email,
        interests,
        age_band,
        income_band,
        nps,
        {{ identifier_display_columns('phone', 'phone') }},
        {{ identifier_display_columns('email', 'email') }},
        is_phone_placeholder,
        is_email_placeholder,
        is_phone_invalid,
        is_email_invalid,
        submitted_at,
        _source_file,
        _source_row
    from responses
)

select * from final
