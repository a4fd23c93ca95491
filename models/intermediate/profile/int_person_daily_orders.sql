{# Purchases per person and local day, both channels: orders (purchases, not refunds
   or cancellations), refunds and returns, net spend (refunded online orders count 0,
   store returns are netted), gross value and discounts. Windows in
   `int_person_metrics` add these days up. #}

with

orders as (
    select * from {{ ref('int_orders_unified') }}
    where person_id is not null
),

final as (
    select
        person_id,
        order_date as activity_date,
        count(case when is_purchase then 1 end) as orders,
        count(case when is_purchase and channel = 'online' then 1 end) as online_orders,
        count(case when is_purchase and channel = 'store' then 1 end) as store_orders,
        count(case when is_refund then 1 end) as refunds,
        count(case when is_purchase or is_refund then 1 end) as orders_placed,
        cast(sum(net_amount) as decimal(18, 2)) as spend,
        cast(sum(case when channel = 'online' then net_amount else 0 end) as decimal(18, 2)) as online_spend,
        cast(sum(case when channel = 'store' then net_amount else 0 end) as decimal(18, 2)) as store_spend,
        cast(sum(case when is_purchase then paid_amount + discount_amount else 0 end) as decimal(18, 2))
            as gross_amount,
        cast(sum(case when is_purchase then discount_amount else 0 end) as decimal(18, 2)) as discount_amount
    from orders
    group by person_id, order_date
)

select * from final
