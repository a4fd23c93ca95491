{# Interest signals per person, local day and interest — a product category
   (`category`, from product events and purchase lines) or a content type
   (`content_type`, from content events) — with the weighted interaction score that
   the time-decayed affinity of `int_person_metrics` decays (weights: var
   `portrait__affinity_weights`), product views and net spend for the "top category"
   metrics. Rebuilt every run: app events come through the incremental session-day
   rollup (`int_session_daily_interests`) and the sessions' current persons. #}
{%- set weights = var('portrait__affinity_weights') %}

with

session_interests as (
    select * from {{ ref('int_session_daily_interests') }}
),

sessions as (
    select * from {{ ref('int_sessions_persons_attached') }}
    where person_id is not null
),

lines as (
    select * from {{ ref('int_order_lines_unified') }}
    where person_id is not null and is_counted
),

event_signals as (
    select
        sessions.person_id,
        session_interests.interest_type,
        session_interests.interest_value,
        session_interests.interaction_score,
        session_interests.product_views,
        session_interests.cart_adds,
        cast(0 as decimal(18, 2)) as spend,
        session_interests.activity_date
    from session_interests
    inner join sessions
        on session_interests.session_id = sessions.session_id
),

purchase_signals as (
    select
        person_id,
        'category' as interest_type,
        category_l1 as interest_value,
        case when line_amount > 0 then {{ weights['purchase'] }} else 0 end as interaction_score,
        0 as product_views,
        0 as cart_adds,
        line_amount as spend,
        order_date as activity_date
    from lines
    where category_l1 is not null
),

signals as (
    select * from event_signals
    union all
    select * from purchase_signals
),

final as (
    select
        person_id,
        interest_type,
        interest_value,
        activity_date,
        cast(sum(interaction_score) as bigint) as interaction_score,
        cast(sum(product_views) as bigint) as product_views,
        cast(sum(cart_adds) as bigint) as cart_adds,
        cast(sum(spend) as decimal(18, 2)) as spend
    from signals
    group by person_id, interest_type, interest_value, activity_date
)

select * from final
