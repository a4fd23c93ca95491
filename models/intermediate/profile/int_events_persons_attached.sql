{{ config(materialized='view') }}
{# Every sessionized event with the person of its session (a view: the events are not
   copied again). The person moves with the session when identities merge or split. #}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
),

sessions as (
    select * from {{ ref('int_sessions_persons_attached') }}
),

final as (
    select
        events.event_id,
        events.session_id,
        sessions.person_id,
        events.event_name,
        events.platform,
        events.category_l1,
        events.content_type,
        events.local_hour,
        events.local_iso_weekday,
        events.is_session_start,
        sessions.duration_seconds as session_duration_seconds,
        events.event_date,
        events.event_at
    from events
    inner join sessions
        on events.session_id = sessions.session_id
)

select * from final
