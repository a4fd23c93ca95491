{%- set visitor = ['visitor_type', 'visitor_id'] %}
{{ partition_incremental_config('event_date', replace_keys=visitor, replace_marker='event_id',
    vanished={'model': 'stg_app__events', 'partition': local_date('event_at'), 'filter': visitor_condition()}) }}
{# Every staged app/web/mini-program event cut into sessions per visitor — the device,
   or the anonymous id where the event has no usable device id (mini-program) — with
   `portrait__session_timeout_minutes` (30) of inactivity ending a session: an event
   that many minutes or more after the visitor's previous one starts a new session.
   No person here: sessions are attached to persons afterwards
   (`int_sessions_persons_attached`), so a later login that merges old anonymous
   history re-attributes sessions without re-cutting them.
   Incremental per visitor (DuckDB): a run re-cuts each visitor whose events changed from
   the earliest local date on which they did (`incremental_changed_rows` by visitor and
   date), carrying the visitor's last event of the day before in, so a session that runs
   over midnight keeps its id; every other visitor, and the visitor's earlier days, stay
   as they are (the `replace_from` strategy). On Spark the same by date for every
   visitor. Cutting is per visitor and causal (an event's session depends only on the
   visitor's earlier events), so either gives the sessions of a full build. After
   changing the timeout, run `--full-refresh`. #}
{%- set timeout_seconds = var('portrait__session_timeout_minutes') * 60 %}
{%- if timeout_seconds > 86400 -%}
    {{ exceptions.raise_compiler_error("portrait__session_timeout_minutes must be at most 1440 (one day): the incremental cut carries one day over") }}
{%- endif %}
{%- set fingerprinted = ['event_id', 'visitor_type', 'visitor_id', 'account_id', 'openid', 'event_name',
    'platform', 'category_l1', 'content_type', 'event_at'] %}

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
        {{ local_date('event_at') }} as event_date,
        event_at
    from events
),

with_visitor as (
    select * from visitors
    where visitor_id is not null
),

{{ incremental_changed_rows('with_visitor', 'event_date', fingerprinted, keys=visitor) }},

{{ sessions_carried_in(visitor) }},

to_cut as (
    select
        event_id,
        visitor_type,
        visitor_id,
        account_id,
        openid,
        event_name,
        platform,
        category_l1,
        content_type,
        event_date,
        event_at,
        cast(null as {{ dbt.type_timestamp() }}) as carried_session_started_at,
        false as is_carried
    from changed_rows
    union all
    select
        event_id,
        visitor_type,
        visitor_id,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as openid,
        cast(null as {{ dbt.type_string() }}) as event_name,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as category_l1,
        cast(null as {{ dbt.type_string() }}) as content_type,
        event_date,
        event_at,
        session_started_at as carried_session_started_at,
        true as is_carried
    from carried_in
),

gaps as (
    select
        *,
        lag(event_at) over (
            partition by visitor_type, visitor_id
            order by event_at, event_id
        ) as previous_event_at
    from to_cut
),

session_starts as (
    select
        *,
        case
            when previous_event_at is null then 1
            when {{ seconds_between('previous_event_at', 'event_at') }} >= {{ timeout_seconds }} then 1
            else 0
        end as is_session_start
    from gaps
),

{# The session's start is the latest session start so far (or the carried-in one): the
   same window as the gap above, so the events are sorted once. #}
bounded as (
    select
        *,
        max(
            case
                when is_carried then carried_session_started_at
                when is_session_start = 1 then event_at
            end
        ) over (
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
    where not is_carried
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
        event_date,
        session_started_at,
        event_at
    from keyed
)

select * from final
{{- replacement_markers(visitor, 'event_date') }}
