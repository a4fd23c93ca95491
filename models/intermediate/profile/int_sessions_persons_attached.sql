{# One row per session with the person it belongs to: the person of the first account
   that logged in during the session, else of its WeChat openid, else of the visitor
   (device or anonymous id) itself. Re-derived every run from the current person map,
   so sessions move with merges and splits without being cut again. Built from the
   session-day rollup, not from the events. #}

with

session_days as (
    select * from {{ ref('int_session_daily_activity') }}
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

sessions as (
    select
        session_id,
        visitor_type,
        visitor_id,
        min(first_platform) as platform,
        {{ first_value_by_time('first_account_id', 'first_account_at') }} as account_id,
        {{ first_value_by_time('first_openid', 'first_openid_at') }} as openid,
        sum(events) as events,
        min(activity_date) as session_date,
        min(first_event_at) as started_at,
        max(last_event_at) as ended_at
    from session_days
    group by session_id, visitor_type, visitor_id
),

final as (
    select
        sessions.session_id,
        coalesce(account_persons.person_id, openids.person_id, visitors.person_id) as person_id,
        sessions.visitor_type,
        sessions.visitor_id,
        sessions.platform,
        sessions.events,
        cast(floor({{ seconds_between('sessions.started_at', 'sessions.ended_at') }}) as bigint) as duration_seconds,
        sessions.session_date,
        sessions.started_at,
        sessions.ended_at
    from sessions
    left join person_map as account_persons
        on
            account_persons.identifier_type = 'account_id'
            and sessions.account_id = account_persons.identifier_value
    left join person_map as openids
        on
            openids.identifier_type = 'openid'
            and sessions.openid = openids.identifier_value
    left join person_map as visitors
        on
            sessions.visitor_type = visitors.identifier_type
            and sessions.visitor_id = visitors.identifier_value
)

select * from final
