{# Order lines of both channels with their order's person, channel and date: what was
   bought, by category. `is_counted` follows the order: lines of refunded or cancelled
   online orders are not spend; store return lines are (their negative amounts net the
   purchase). #}

with

orders as (
    select * from {{ ref('int_orders_unified') }}
),

shop_lines as (
    select * from {{ ref('stg_shop__order_items') }}
),

store_lines as (
    select * from {{ ref('stg_pos__lines') }}
),

lines as (
    select
        {{ dbt.concat(["'shop:'", 'order_id']) }} as order_key,
        line_no,
        sku,
        category_l1,
        category_l2,
        unit_price,
        quantity,
        line_amount
    from shop_lines
    union all
    select
        {{ dbt.concat(["'pos:'", 'txn_id']) }} as order_key,
        line_no,
        sku,
        category_l1,
        category_l2,
        unit_price,
        quantity,
        line_amount
    from store_lines
),

final as (
    select
        lines.order_key,
        lines.line_no,
        orders.person_id,
        orders.channel,
        lines.sku,
        lines.category_l1,
        lines.category_l2,
        cast(lines.unit_price as decimal(18, 2)) as unit_price,
        lines.quantity,
        cast(lines.line_amount as decimal(18, 2)) as line_amount,
        orders.is_purchase or orders.channel = 'store' as is_counted,
        orders.order_date
    from lines
    inner join orders
        on lines.order_key = orders.order_key
)

select * from final
