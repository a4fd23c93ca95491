{# The churn model's rows: each buyer's purchase and browsing history as of three
   snapshot dates, with the label where the future is known. Leakage-safe by
   construction: features read only days up to their snapshot date, labels only the
   `portrait__churn_horizon_days` (90) days after it, and both lie before the as-of date.
   - `holdout_train`: snapshot = as-of − 2 horizons, label from the next horizon;
   - `train`: snapshot = as-of − 1 horizon, label = no purchase up to the as-of date;
   - `score`: snapshot = the as-of date, no label (the future is unknown).
   A model fitted on `holdout_train` and tested on `train` gives the time-split holdout
   figure; the model fitted on `train` scores `score`. Only persons with a purchase up
   to the snapshot date are rows: churn is a buyer's notion (others are `unscored`).
   Orders are counted when placed (purchases, and online orders refunded later),
   so a refund after a snapshot date cannot change that snapshot's history; spend is net
   of refunds as the order's latest status knows them (the one residual look-ahead: an
   online refund after the snapshot lowers the snapshot's spend). #}
{%- set horizon = var('portrait__churn_horizon_days') %}

with

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

snapshots as (
    select
        'score' as snapshot_role,
        as_of_date as snapshot_date
    from as_of
    union all
    select
        'train' as snapshot_role,
        cast({{ dbt.dateadd('day', -horizon, 'as_of_date') }} as date) as snapshot_date
    from as_of
    union all
    select
        'holdout_train' as snapshot_role,
        cast({{ dbt.dateadd('day', -2 * horizon, 'as_of_date') }} as date) as snapshot_date
    from as_of
),

-- orders per person and day, counted when placed: purchases and online orders refunded
-- later (store returns are their own rows, not orders); cancellations never count
daily_orders as (
    select
        person_id,
        order_date as activity_date,
        count(case when is_purchase or (is_refund and channel = 'online') then 1 end) as orders_placed,
        count(case when is_purchase and channel = 'store' then 1 end) as store_orders,
        sum(net_amount) as spend,
        sum(case when is_purchase then paid_amount + discount_amount else 0 end) as gross_amount,
        sum(case when is_purchase then discount_amount else 0 end) as discount_amount
    from {{ ref('int_orders_unified') }}
    where person_id is not null and (is_purchase or is_refund)
    group by person_id, order_date
),

daily_activity as (
    select * from {{ ref('int_person_daily_activity') }}
),

order_history as (
    select
        snapshots.snapshot_role,
        snapshots.snapshot_date,
        daily_orders.person_id,
        min(case when daily_orders.orders_placed > 0 then daily_orders.activity_date end) as first_order_date,
        max(case when daily_orders.orders_placed > 0 then daily_orders.activity_date end) as last_order_date,
        sum(daily_orders.orders_placed) as orders_lifetime,
        count(case when daily_orders.orders_placed > 0 then 1 end) as purchase_days_lifetime,
        {% for window in [30, 90, 365] -%}
            sum(
                case
                    when {{ days_before('daily_orders.activity_date', 'snapshots.snapshot_date') }} < {{ window }}
                        then daily_orders.orders_placed
                    else 0
                end
            ) as orders_{{ window }}d,
        {% endfor -%}
        sum(
            case
                when {{ days_before('daily_orders.activity_date', 'snapshots.snapshot_date') }} < 365
                    then daily_orders.spend
                else 0
            end
        ) as spend_365d,
        sum(daily_orders.spend) as spend_lifetime,
        sum(daily_orders.store_orders) as store_orders_lifetime,
        sum(daily_orders.discount_amount) as discount_amount_lifetime,
        sum(daily_orders.gross_amount) as gross_amount_lifetime
    from snapshots
    inner join daily_orders on snapshots.snapshot_date >= daily_orders.activity_date
    group by snapshots.snapshot_role, snapshots.snapshot_date, daily_orders.person_id
),

buyers as (
    select * from order_history
    where orders_lifetime > 0
),

-- browsing in the year before each snapshot (older visits tell little about churn)
recent_activity as (
    select
        snapshots.snapshot_role,
        daily_activity.person_id,
        max(daily_activity.activity_date) as last_visit_date,
        {% for window in [30, 90] -%}
            {% for measure in ['events', 'sessions', 'cart_adds'] -%}
                sum(
                    case
                        when {{ days_before('daily_activity.activity_date', 'snapshots.snapshot_date') }} < {{ window }}
                            then daily_activity.{{ measure }}
                        else 0
                    end
                ) as {{ measure }}_{{ window }}d,
            {% endfor -%}
        {% endfor -%}
        count(*) as visit_days_365d
    from snapshots
    inner join daily_activity
        on
            snapshots.snapshot_date >= daily_activity.activity_date
            and {{ days_before('daily_activity.activity_date', 'snapshots.snapshot_date') }} < 365
    where daily_activity.events > 0
    group by snapshots.snapshot_role, daily_activity.person_id
),

future_orders as (
    select
        snapshots.snapshot_role,
        daily_orders.person_id,
        sum(daily_orders.orders_placed) as orders_next_horizon
    from snapshots
    inner join daily_orders
        on
            snapshots.snapshot_date < daily_orders.activity_date
            and daily_orders.activity_date <= cast({{ dbt.dateadd('day', horizon, 'snapshots.snapshot_date') }} as date)
    where snapshots.snapshot_role <> 'score' and daily_orders.orders_placed > 0
    group by snapshots.snapshot_role, daily_orders.person_id
),

final as (
    select
        buyers.snapshot_role,
        buyers.snapshot_date,
        buyers.person_id,
        {{ days_before('buyers.last_order_date', 'buyers.snapshot_date') }} as days_since_last_order,
        {{ days_before('buyers.first_order_date', 'buyers.snapshot_date') }} as days_since_first_order,
        cast(buyers.orders_lifetime as bigint) as orders_lifetime,
        cast(buyers.purchase_days_lifetime as bigint) as purchase_days_lifetime,
        cast(buyers.orders_30d as bigint) as orders_30d,
        cast(buyers.orders_90d as bigint) as orders_90d,
        cast(buyers.orders_365d as bigint) as orders_365d,
        cast(buyers.spend_365d as double) as spend_365d,
        cast(buyers.spend_lifetime as double) as spend_lifetime,
        {{ safe_divide('buyers.spend_lifetime', 'buyers.orders_lifetime') }} as avg_order_value,
        {{ safe_divide(days_before('buyers.first_order_date', 'buyers.last_order_date'),
            'buyers.purchase_days_lifetime - 1') }} as mean_days_between_purchases,
        {{ safe_divide('buyers.store_orders_lifetime', 'buyers.orders_lifetime') }} as store_order_share,
        {{ safe_divide('buyers.discount_amount_lifetime', 'buyers.gross_amount_lifetime') }} as discount_share,
        {{ days_before('recent_activity.last_visit_date', 'buyers.snapshot_date') }} as days_since_last_visit,
        coalesce(recent_activity.events_30d, 0) as events_30d,
        coalesce(recent_activity.sessions_30d, 0) as sessions_30d,
        coalesce(recent_activity.cart_adds_30d, 0) as cart_adds_30d,
        coalesce(recent_activity.events_90d, 0) as events_90d,
        coalesce(recent_activity.sessions_90d, 0) as sessions_90d,
        coalesce(recent_activity.cart_adds_90d, 0) as cart_adds_90d,
        coalesce(recent_activity.visit_days_365d, 0) as visit_days_365d,
        case
            when buyers.snapshot_role = 'score' then cast(null as boolean)
            else coalesce(future_orders.orders_next_horizon, 0) = 0
        end as is_churned
    from buyers
    left join recent_activity
        on
            buyers.snapshot_role = recent_activity.snapshot_role
            and buyers.person_id = recent_activity.person_id
    left join future_orders
        on
            buyers.snapshot_role = future_orders.snapshot_role
            and buyers.person_id = future_orders.person_id
)

select * from final
