{# Digital behaviour per person and local day: events by kind, sessions started, time
   in session, platform, daypart and weekend counts. The rolling windows of
   `int_person_metrics` add these days up, so a new day never rescans history.
   Rebuilt every run from the incremental session-day rollup
   (`int_session_daily_activity`) and the sessions' current persons. #}
{%- set measures = event_measures() %}

with

session_days as (
    select * from {{ ref('int_session_daily_activity') }}
),

sessions as (
    select * from {{ ref('int_sessions_persons_attached') }}
    where person_id is not null
),

final as (
    select
        sessions.person_id,
        session_days.activity_date,
        cast(sum(session_days.events) as bigint) as events,
        {% for measure in measures -%}
            cast(sum(session_days.{{ measure }}) as bigint) as {{ measure }},
        {% endfor -%}
        cast(sum(session_days.session_starts) as bigint) as sessions,
        cast(sum(case when session_days.session_starts > 0 then sessions.duration_seconds else 0 end) as bigint)
            as session_seconds,
        {% for platform in event_platforms() -%}
            cast(sum(session_days.events_on_{{ platform }}) as bigint) as events_on_{{ platform }},
        {% endfor -%}
        {% for part in dayparts() -%}
            cast(sum(session_days.events_in_{{ part }}) as bigint) as events_in_{{ part }},
        {% endfor -%}
        cast(sum(session_days.events_on_weekend) as bigint) as events_on_weekend
    from session_days
    inner join sessions
        on session_days.session_id = sessions.session_id
    group by sessions.person_id, session_days.activity_date
)

select * from final
