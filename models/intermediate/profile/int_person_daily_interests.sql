{# Interest signals per person, local day and interest — a product category
   (`category`, from product events and purchase lines) or a content type
   (`content_type`, from content events) — with the weighted interaction score that
   the time-decayed affinity of `int_person_metrics` decays (weights: var
   `portrait__affinity_weights`), product views and net spend for the "top category"
   metrics. #}
{%- set weights = var('portrait__affinity_weights') %}

with

events as (
    select * from {{ ref('int_events_persons_attached') }}
    where person_id is not null
),

lines as (
    select * from {{ ref('int_order_lines_unified') }}
    where person_id is not null and is_counted
),

event_signals as (
    select
        events.person_id,
        case when events.content_type is not null then 'content_type' else 'category' end as interest_type,
        coalesce(events.content_type, events.category_l1) as interest_value,
        case events.event_name
            {% for name, weight in weights.items() if name != 'purchase' -%}
                when '{{ name }}' then {{ weight }}
            {% endfor -%}
            else 0
        end as interaction_score,
        case when events.event_name = 'product_view' then 1 else 0 end as product_views,
        cast(0 as decimal(18, 2)) as spend,
        events.event_date as activity_date
    from events
    where coalesce(events.content_type, events.category_l1) is not null
),

purchase_signals as (
    select
        person_id,
        'category' as interest_type,
        category_l1 as interest_value,
        case when line_amount > 0 then {{ weights['purchase'] }} else 0 end as interaction_score,
        0 as product_views,
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
        cast(sum(spend) as decimal(18, 2)) as spend
    from signals
    group by person_id, interest_type, interest_value, activity_date
)

select * from final
