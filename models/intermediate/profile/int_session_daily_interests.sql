{%- set session = ['session_id'] %}
{{ partition_incremental_config('activity_date', replace_keys=session, replace_marker='interest_type',
                                vanished={'model': 'int_events_sessionized', 'partition': 'event_date'}) }}
{# Interest signals of app events per session, local day and interest — a product
   category (`category`) or a content type (`content_type`) — with the weighted
   interaction score (weights: var `portrait__affinity_weights`), product views and cart adds.
   No person here: `int_person_daily_interests` attaches persons every run.
   Incremental per session (DuckDB; by date on Spark): a run rewrites each session's
   days from the earliest one whose interest events changed, a session that no longer
   exists (re-cut, or erased) by nothing. #}
{%- set weights = var('portrait__affinity_weights') %}
{%- set fingerprinted = ['event_id', 'session_id', 'event_name', 'category_l1', 'content_type', 'event_at'] %}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
    where coalesce(content_type, category_l1) is not null
),

{{ incremental_changed_rows('events', 'event_date', fingerprinted, 'activity_date', 'events_fingerprint',
    keys=session) }},

signals as (
    select
        session_id,
        case when content_type is not null then 'content_type' else 'category' end as interest_type,
        coalesce(content_type, category_l1) as interest_value,
        case event_name
            {% for name, weight in weights.items() if name != 'purchase' -%}
                when '{{ name }}' then {{ weight }}
            {% endfor -%}
            else 0
        end as interaction_score,
        case when event_name = 'product_view' then 1 else 0 end as product_views,
        case when event_name = 'add_to_cart' then 1 else 0 end as cart_adds,
        {{ row_fingerprint(fingerprinted) }} as event_fingerprint,
        event_date as activity_date
    from changed_rows
),

final as (
    select
        session_id,
        interest_type,
        interest_value,
        activity_date,
        cast(sum(interaction_score) as bigint) as interaction_score,
        cast(sum(product_views) as bigint) as product_views,
        cast(sum(cart_adds) as bigint) as cart_adds,
        sum(event_fingerprint) as events_fingerprint
    from signals
    group by session_id, interest_type, interest_value, activity_date
)

select * from final
{{- replacement_markers(session, 'activity_date') }}
