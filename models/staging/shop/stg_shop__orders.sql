{{ config(materialized='view') }}
{# Online orders: the latest valid version (status) of each order. #}
with

orders as (
    select * from {{ ref('base_shop__orders') }}
    where row_bucket = 'staged'
),

final as (
    select
        order_id,
        account_id,
        coupon_code,
        ship_city,
        ship_phone,
        status,
        platform,
        total_amount,
        discount_amount,
        {{ identifier_display_columns('account_id', 'account_id') }},
        {{ identifier_display_columns('phone', 'ship_phone') }},
        is_account_id_placeholder,
        is_ship_phone_placeholder,
        is_account_id_invalid,
        is_ship_phone_invalid,
        ordered_at,
        updated_at,
        _source_file,
        _source_row
    from orders
)

select * from final
