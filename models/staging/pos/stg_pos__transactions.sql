{{ config(materialized='view') }}
{# Store receipts, one row per transaction id; returns have a negative amount. #}
with

transactions as (
    select * from {{ ref('base_pos__transactions') }}
    where row_bucket = 'staged'
),

final as (
    select
        txn_id,
        store_id,
        store_city,
        member_card_no,
        phone,
        payment_method,
        total_amount,
        {{ identifier_display_columns('card_no', 'member_card_no') }},
        {{ identifier_display_columns('phone', 'phone') }},
        is_member_card_no_placeholder,
        is_phone_placeholder,
        is_member_card_no_invalid,
        is_phone_invalid,
        is_return,
        transacted_at,
        _source_file,
        _source_row
    from transactions
)

select * from final
