{{ config(materialized='view') }}
{# Shop accounts: the latest valid version of each account. #}
with

accounts as (
    select * from {{ ref('base_shop__accounts') }}
    where row_bucket = 'staged'
),

final as (
    select
        account_id,
        nickname,
        phone,
        email,
        {{ identifier_display_columns('account_id', 'account_id') }},
        {{ identifier_display_columns('phone', 'phone') }},
        {{ identifier_display_columns('email', 'email') }},
        is_account_id_placeholder,
        is_phone_placeholder,
        is_email_placeholder,
        is_phone_invalid,
        is_email_invalid,
        created_at,
        updated_at,
        _source_file,
        _source_row
    from accounts
)

select * from final
