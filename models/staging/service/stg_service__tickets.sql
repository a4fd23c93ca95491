{{ config(materialized='view') }}
{# Customer-service tickets: the latest valid version of each ticket. #}
with

tickets as (
    select * from {{ ref('base_service__tickets') }}
    where row_bucket = 'staged'
),

final as (
    select
        ticket_id,
        account_id,
        contact_phone,
        contact_email,
        channel,
        category,
        customer_comment,
        satisfaction,
        {{ identifier_display_columns('account_id', 'account_id') }},
        {{ identifier_display_columns('phone', 'contact_phone') }},
        {{ identifier_display_columns('email', 'contact_email') }},
        is_account_id_placeholder,
        is_contact_phone_placeholder,
        is_contact_email_placeholder,
        is_account_id_invalid,
        is_contact_phone_invalid,
        is_contact_email_invalid,
        created_at,
        resolved_at,
        updated_at,
        _source_file,
        _source_row
    from tickets
)

select * from final
