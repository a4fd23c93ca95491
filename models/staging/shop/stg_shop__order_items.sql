{{ config(materialized='view') }}
{# Lines of online orders whose order is valid, one row per order and line number. #}
with

order_items as (
    select * from {{ ref('base_shop__order_items') }}
    where row_bucket = 'staged'
),

final as (
    select
        order_id,
        line_no,
        sku,
        category_l1,
        category_l2,
        unit_price,
        quantity,
        line_amount,
        is_return,
        _source_file,
        _source_row
    from order_items
)

select * from final
