{# Three metrics recomputed straight from staging, without the daily rollups, must equal
   int_person_metrics: per person the lifetime online orders (shop orders not refunded or
   cancelled, by account) and the lifetime store spend (POS totals, returns netted, by
   member card else phone); and in total the lifetime events (every staged event with a
   usable device or anonymous id, up to the as-of date). Fails with each mismatch. #}

with

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

shop_orders as (
    select * from {{ ref('stg_shop__orders') }}
),

store_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

events as (
    select * from {{ ref('stg_app__events') }}
),

online_orders as (
    select
        account_persons.person_id,
        count(*) as online_orders_lifetime
    from shop_orders
    cross join as_of
    inner join person_map as account_persons
        on account_persons.identifier_type = 'account_id' and shop_orders.account_id = account_persons.identifier_value
    where
        shop_orders.status not in ('refunded', 'cancelled')
        and {{ local_date('shop_orders.ordered_at') }} <= as_of.as_of_date
    group by account_persons.person_id
),

store_spend as (
    select
        coalesce(card_persons.person_id, phone_persons.person_id) as person_id,
        sum(store_transactions.total_amount) as store_spend_lifetime
    from store_transactions
    cross join as_of
    left join person_map as card_persons
        on
            card_persons.identifier_type = 'card_no'
            and store_transactions.member_card_no = card_persons.identifier_value
    left join person_map as phone_persons
        on phone_persons.identifier_type = 'phone' and store_transactions.phone = phone_persons.identifier_value
    where {{ local_date('store_transactions.transacted_at') }} <= as_of.as_of_date
    group by coalesce(card_persons.person_id, phone_persons.person_id)
),

staged_event_total as (
    select count(*) as events_lifetime
    from events
    cross join as_of
    where
        (
            (events.device_id is not null and not events.is_device_id_placeholder)
            or (events.anonymous_id is not null and not events.is_anonymous_id_placeholder)
        )
        and {{ local_date('events.event_at') }} <= as_of.as_of_date
),

order_mismatches as (
    select
        metrics.person_id,
        'online_orders_lifetime' as metric,
        cast(metrics.online_orders_lifetime as double) as model_value,
        cast(coalesce(online_orders.online_orders_lifetime, 0) as double) as recomputed_value
    from metrics
    left join online_orders on metrics.person_id = online_orders.person_id
    where metrics.online_orders_lifetime != coalesce(online_orders.online_orders_lifetime, 0)
),

spend_mismatches as (
    select
        metrics.person_id,
        'store_spend_lifetime' as metric,
        cast(metrics.store_spend_lifetime as double) as model_value,
        cast(coalesce(store_spend.store_spend_lifetime, 0) as double) as recomputed_value
    from metrics
    left join store_spend on metrics.person_id = store_spend.person_id
    where metrics.store_spend_lifetime != coalesce(store_spend.store_spend_lifetime, 0)
),

event_mismatch as (
    select
        'all persons' as person_id,
        'events_lifetime' as metric,
        cast(model_total.events_lifetime as double) as model_value,
        cast(staged_event_total.events_lifetime as double) as recomputed_value
    from (select sum(events_lifetime) as events_lifetime from metrics) as model_total
    cross join staged_event_total
    where model_total.events_lifetime != staged_event_total.events_lifetime
),

final as (
    select * from order_mismatches
    union all
    select * from spend_mismatches
    union all
    select * from event_mismatch
)

select * from final
