{# The persona clustering's input, one row per person as of the as-of date: lifetime
   behaviour read from the person metrics (rates per day of tenure, channel, discount,
   content and funnel shares, recency, age) plus three basket measures from the order
   lines and two event shares from the daily activity. Raw values: the Python model
   log-transforms, imputes and scales them (`portrait.persona.features`). Persons with too
   little behaviour to profile are flagged here, not dropped (`unscored` downstream). #}

with

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

metrics as (
    select * from {{ ref('int_person_metrics') }}
),

activity as (
    select
        daily_activity.person_id,
        sum(daily_activity.events_on_miniprogram) as miniprogram_events,
        sum(daily_activity.events_in_evening) as evening_events
    from {{ ref('int_person_daily_activity') }} as daily_activity
    cross join as_of
    where daily_activity.activity_date <= as_of.as_of_date
    group by daily_activity.person_id
),

baskets as (
    select
        order_lines.person_id,
        count(*) as counted_lines,
        count(distinct order_lines.order_key) as counted_orders,
        sum(order_lines.quantity) as units,
        sum(order_lines.line_amount) as line_amount
    from {{ ref('int_order_lines_unified') }} as order_lines
    cross join as_of
    where
        order_lines.is_counted
        and order_lines.person_id is not null
        and order_lines.order_date <= as_of.as_of_date
    group by order_lines.person_id
),

tenure as (
    select
        person_id,
        greatest(coalesce(days_since_first_visit, 0), coalesce(days_since_first_order, 0)) + 1
            as tenure_days
    from metrics
),

final as (
    select
        metrics.person_id,
        metrics.events_lifetime >= {{ var('portrait__persona_min_events') }}
        or metrics.orders_lifetime >= {{ var('portrait__persona_min_orders') }} as is_eligible,
        cast(metrics.events_lifetime as bigint) as events_lifetime,
        cast(metrics.orders_lifetime as bigint) as orders_lifetime,
        cast(tenure.tenure_days as bigint) as tenure_days,
        metrics.orders_lifetime * 365.0 / tenure.tenure_days as orders_per_year,
        metrics.sessions_lifetime * 30.0 / tenure.tenure_days as sessions_per_30d,
        {{ safe_divide('metrics.events_lifetime', 'metrics.sessions_lifetime') }} as events_per_session,
        metrics.avg_order_value_lifetime as avg_order_value,
        {{ safe_divide('baskets.line_amount', 'baskets.units') }} as avg_unit_price,
        {{ safe_divide('baskets.counted_lines', 'baskets.counted_orders') }} as lines_per_order,
        metrics.discount_share_lifetime as discount_share,
        metrics.store_order_share_lifetime as store_order_share,
        {{ safe_divide('activity.miniprogram_events', 'metrics.events_lifetime') }} as miniprogram_event_share,
        {{ safe_divide('activity.evening_events', 'metrics.events_lifetime') }} as evening_event_share,
        {{ safe_divide('metrics.content_engagements_lifetime', 'metrics.events_lifetime') }}
            as content_engagement_share,
        {{ safe_divide('metrics.cart_adds_lifetime', 'metrics.events_lifetime') }} as cart_add_share,
        {{ safe_divide('metrics.shares_lifetime', 'metrics.events_lifetime') }} as share_event_share,
        metrics.days_since_last_active,
        case metrics.age_band
            when '<18' then 16
            when '18-24' then 21
            when '25-34' then 30
            when '35-44' then 40
            when '45-54' then 50
            when '55+' then 60
        end as age_years_approx,
        metrics.as_of_date
    from metrics
    inner join tenure on metrics.person_id = tenure.person_id
    left join activity on metrics.person_id = activity.person_id
    left join baskets on metrics.person_id = baskets.person_id
)

select * from final
