{# Order lines of both channels for BI, one row per line: the product (SKU and its two
   category levels), quantity, unit price and line amount, and the order's person,
   channel, platform (`web`, `app`, `miniprogram` or `store`: one vocabulary for both
   channels), status, store, coupon and local date. No PII; lines whose buyer is not
   identifiable keep `person_id` NULL, so totals reconcile with the sources. #}

with

lines as (
    select * from {{ ref('int_order_lines_unified') }}
),

orders as (
    select * from {{ ref('int_orders_unified') }}
),

final as (
    select
        lines.order_key,
        lines.line_no,
        orders.person_id,
        orders.channel,
        orders.platform,
        orders.status,
        orders.store_id,
        orders.city,
        orders.coupon_code,
        lines.sku,
        lines.category_l1,
        lines.category_l2,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        lines.is_counted,
        orders.order_date
    from lines
    inner join orders on lines.order_key = orders.order_key
)

select * from final
