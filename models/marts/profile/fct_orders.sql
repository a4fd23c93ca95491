{# Orders of both channels for BI (one row per online order or store transaction):
   the person, channel, platform, status, amounts and local order date. No PII; rows
   whose buyer is not identifiable keep `person_id` NULL, so revenue totals reconcile
   with the sources. #}

with

orders as (
    select * from {{ ref('int_orders_unified') }}
),

final as (
    select
        order_key,
        person_id,
        source_table,
        channel,
        platform,
        status,
        city,
        paid_amount,
        discount_amount,
        net_amount,
        is_purchase,
        is_refund,
        is_cancelled,
        is_placed,
        order_date,
        ordered_at
    from orders
)

select * from final
