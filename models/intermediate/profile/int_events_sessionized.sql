{# Every staged app/web/mini-program event cut into sessions per visitor — the device,
   or the anonymous id where the event has no usable device id (mini-program) — with
   `portrait__session_timeout_minutes` (30) of inactivity ending a session: an event
   that many minutes or more after the visitor's previous one starts a new session.
   No person here: sessions are attached to persons afterwards
   (`int_sessions_persons_attached`), so a later login that merges old anonymous
   history re-attributes sessions without re-cutting them. #}

with

events as (
    select * from {{ ref('stg_app__events') }}
),

visitors as (
    select
        event_id,
        case
            when device_id is not null and not is_device_id_placeholder then 'device_id'
            when anonymous_id is not null and not is_anonymous_id_placeholder then 'anonymous_id'
        end as visitor_type,
        case
            when device_id is not null and not is_device_id_placeholder then device_id
            when anonymous_id is not null and not is_anonymous_id_placeholder then anonymous_id
        end as visitor_id,
        case when not is_account_id_placeholder then account_id end as account_id,
        case when not is_openid_placeholder then openid end as openid,
        event_name,
        platform,
        category_l1,
        content_type,
        event_at
    from events
),

gaps as (
    select
        *,
        lag(event_at) over (
            partition by visitor_type, visitor_id
            order by event_at, event_id
        ) as previous_event_at
    from visitors
    where visitor_id is not null
),

session_starts as (
    select
        *,
        case
            when previous_event_at is null then 1
            when {{ seconds_between('previous_event_at', 'event_at') }}
                >= {{ var('portrait__session_timeout_minutes') * 60 }} then 1
            else 0
        end as is_session_start
    from gaps
),

{# The session's start is the latest session start so far: the same window as the gap
   above, so the events are sorted once. #}
bounded as (
    select
        *,
        max(case when is_session_start = 1 then event_at end) over (
            partition by visitor_type, visitor_id
            order by event_at, event_id
            rows between unbounded preceding and current row
        ) as session_started_at
    from session_starts
),

keyed as (
    select
        *,
        {%- set started = 'cast(session_started_at as ' ~ dbt.type_string() ~ ')' %}
        {{ dbt.concat(['visitor_type', "':'", 'visitor_id', "':'", started]) }} as session_key
    from bounded
),

final as (
    select
        event_id,
        {{ dbt.hash('session_key') }} as session_id,
        visitor_type,
        visitor_id,
        account_id,
        openid,
        event_name,
        platform,
        category_l1,
        content_type,
        {{ local_hour('event_at') }} as local_hour,
        {{ local_iso_weekday('event_at') }} as local_iso_weekday,
        is_session_start = 1 as is_session_start,
        {{ local_date('event_at') }} as event_date,
        session_started_at,
        event_at
    from keyed
)

select * from final
