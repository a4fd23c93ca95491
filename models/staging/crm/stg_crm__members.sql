{{ config(materialized='view') }}
{# CRM members: the latest valid version of each member. #}
with

members as (
    select * from {{ ref('base_crm__members') }}
    where row_bucket = 'staged'
),

final as (
    select
        member_id,
        card_no,
        unionid,
        full_name,
        phone,
        email,
        gender,
        city,
        register_channel,
        {{ identifier_display_columns('member_id', 'member_id') }},
        {{ identifier_display_columns('card_no', 'card_no') }},
        {{ identifier_display_columns('unionid', 'unionid') }},
        {{ identifier_display_columns('phone', 'phone') }},
        {{ identifier_display_columns('email', 'email') }},
        is_member_id_placeholder,
        is_card_no_placeholder,
        is_unionid_placeholder,
        is_phone_placeholder,
        is_email_placeholder,
        is_card_no_invalid,
        is_unionid_invalid,
        is_phone_invalid,
        is_email_invalid,
        is_birth_date_invalid,
        birth_date,
        registered_at,
        updated_at,
        _source_file,
        _source_row
    from members
)

select * from final
