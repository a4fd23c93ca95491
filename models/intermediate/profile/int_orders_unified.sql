{# Every purchase-side transaction of both channels with the person it belongs to, one
   row per order: online orders (by the buyer's shop account) and store transactions
   (by member card, else the phone typed at the till). Online refunds and cancellations
   and store returns stay as rows, flagged, so rates can be computed; `net_amount` is
   what the order is worth today (0 for refunded or cancelled online orders, negative
   for store returns: returns are netted). Rows whose buyer is unknown (placeholder
   account or phone, no card) keep `person_id` NULL. #}

with

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

store_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

online_orders as (
    select
        {{ dbt.concat(["'shop:'", 'shop_orders.order_id']) }} as order_key,
        shop_orders.order_id as source_order_id,
        account_persons.person_id,
        'shop_orders' as source_table,
        'online' as channel,
        shop_orders.platform,
        shop_orders.status,
        shop_orders.ship_city as city,
        cast(null as {{ dbt.type_string() }}) as store_id,
        shop_orders.coupon_code,
        cast(shop_orders.total_amount as decimal(18, 2)) as paid_amount,
        cast(coalesce(shop_orders.discount_amount, 0) as decimal(18, 2)) as discount_amount,
        cast(
            case when shop_orders.status in ('refunded', 'cancelled') then 0 else shop_orders.total_amount end
            as decimal(18, 2)
        ) as net_amount,
        shop_orders.status in ('paid', 'shipped', 'completed') as is_purchase,
        shop_orders.status = 'refunded' as is_refund,
        shop_orders.status = 'cancelled' as is_cancelled,
        shop_orders.ordered_at
    from shop_orders
    left join person_map as account_persons
        on
            account_persons.identifier_type = 'account_id'
            and shop_orders.account_id = account_persons.identifier_value
),

store_orders as (
    select
        {{ dbt.concat(["'pos:'", 'store_transactions.txn_id']) }} as order_key,
        store_transactions.txn_id as source_order_id,
        coalesce(cards.person_id, phones.person_id) as person_id,
        'pos_transactions' as source_table,
        'store' as channel,
        'store' as platform,
        case when store_transactions.is_return then 'returned' else 'completed' end as status,
        store_transactions.store_city as city,
        store_transactions.store_id,
        cast(null as {{ dbt.type_string() }}) as coupon_code,
        cast(store_transactions.total_amount as decimal(18, 2)) as paid_amount,
        cast(0 as decimal(18, 2)) as discount_amount,
        cast(store_transactions.total_amount as decimal(18, 2)) as net_amount,
        not store_transactions.is_return as is_purchase,
        store_transactions.is_return as is_refund,
        false as is_cancelled,
        store_transactions.transacted_at as ordered_at
    from store_transactions
    left join person_map as cards
        on
            cards.identifier_type = 'card_no'
            and store_transactions.member_card_no = cards.identifier_value
    left join person_map as phones
        on
            phones.identifier_type = 'phone'
            and store_transactions.phone = phones.identifier_value
),

unioned as (
    select * from online_orders
    union all
    select * from store_orders
),

final as (
    select
        order_key,
        source_order_id,
        person_id,
        source_table,
        channel,
        platform,
        status,
        city,
        store_id,
        coupon_code,
        paid_amount,
        discount_amount,
        net_amount,
        is_purchase,
        is_refund,
        is_cancelled,
        -- an order placed: online orders of any status but cancelled, store receipts that are not returns
        (channel = 'online' and not is_cancelled) or (channel = 'store' and not is_refund) as is_placed,
        {{ local_date('ordered_at') }} as order_date,
        ordered_at
    from unioned
)

select * from final
