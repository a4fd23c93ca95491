{# The daily KPIs a marketer watches, per local date and channel (`online`: the web,
   app and mini-program shop and its tracking; `store`: the tills; `all`: both, a person
   active in both counted once), from the first day with data up to the as-of date:

   - `active_persons`: persons with any tracked event (online) or any order that day;
   - `new_persons`: persons seen for the first time that day (in any source);
   - `buyers`: persons with at least one order that day;
   - `orders`: orders placed — online orders of any status but cancelled, store
     receipts that are not returns; orders whose buyer is unknown count here and in the
     amounts, not among the persons;
   - `gmv`: what those orders were placed for (`paid_amount`);
   - `net_revenue`: what the day's orders and returns are worth today (`net_amount`:
     refunded online orders 0, store returns negative).
   New persons are not split by channel: `online` and `store` carry NULL. No PII. #}

with

orders as (
    select * from {{ ref('int_orders_unified') }}
),

activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

persons as (
    select * from {{ ref('dim_person') }}
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

placed_orders as (
    select * from orders
    where order_date <= (select as_of_date from as_of)
),

active_by_channel as (
    select
        person_id,
        activity_date,
        'online' as channel
    from activity
    where events > 0 and activity_date <= (select as_of_date from as_of)
    union
    select
        person_id,
        order_date as activity_date,
        channel
    from placed_orders
    where person_id is not null
),

order_days as (
    select
        order_date as activity_date,
        channel,
        count(distinct person_id) filter (where is_placed) as buyers,
        count(*) filter (where is_placed) as orders,
        sum(paid_amount) filter (where is_placed) as gmv,
        sum(net_amount) as net_revenue
    from placed_orders
    group by order_date, channel
    union all
    select
        order_date as activity_date,
        'all' as channel,
        count(distinct person_id) filter (where is_placed) as buyers,
        count(*) filter (where is_placed) as orders,
        sum(paid_amount) filter (where is_placed) as gmv,
        sum(net_amount) as net_revenue
    from placed_orders
    group by order_date
),

active_days as (
    select
        activity_date,
        channel,
        count(distinct person_id) as active_persons
    from active_by_channel
    group by activity_date, channel
    union all
    select
        activity_date,
        'all' as channel,
        count(distinct person_id) as active_persons
    from active_by_channel
    group by activity_date
),

new_days as (
    select
        {{ local_date('first_seen_at') }} as activity_date,
        count(*) as new_persons
    from persons
    where first_seen_at is not null
    group by {{ local_date('first_seen_at') }}
),

keys as (
    select
        activity_date,
        channel
    from active_days
    union
    select
        activity_date,
        channel
    from order_days
    union
    select
        activity_date,
        'all' as channel
    from new_days
    where activity_date <= (select as_of_date from as_of)
),

final as (
    select
        keys.activity_date as kpi_date,
        keys.channel,
        coalesce(active_days.active_persons, 0) as active_persons,
        case when keys.channel = 'all' then coalesce(new_days.new_persons, 0) end as new_persons,
        coalesce(order_days.buyers, 0) as buyers,
        coalesce(order_days.orders, 0) as orders,
        cast(coalesce(order_days.gmv, 0) as decimal(18, 2)) as gmv,
        cast(coalesce(order_days.net_revenue, 0) as decimal(18, 2)) as net_revenue
    from keys
    left join active_days
        on
            keys.activity_date = active_days.activity_date
            and keys.channel = active_days.channel
    left join order_days
        on
            keys.activity_date = order_days.activity_date
            and keys.channel = order_days.channel
    left join new_days on keys.channel = 'all' and keys.activity_date = new_days.activity_date
)

select * from final
