{%- set visitor = ['visitor_type', 'visitor_id'] %}
{{ partition_incremental_config('activity_date', replace_keys=visitor, replace_marker='session_id',
                                vanished={'model': 'int_events_sessionized', 'partition': 'event_date'}) }}
{# Digital behaviour per session and local day (a session over midnight has two rows):
   events by kind, the session start, platform, daypart and weekend counts, and the
   first account and openid seen. No person here: `int_sessions_persons_attached` and
   `int_person_daily_activity` attach persons every run from these rows, so the events
   themselves are read once, when their day changes.
   Incremental per visitor like `int_events_sessionized` (DuckDB; by date on Spark): a
   run rewrites each visitor's days from the earliest one whose sessionized events
   changed (compared through `events_fingerprint`, `incremental_changed_rows`). #}
{%- set measures = event_measures() %}
{%- set fingerprinted = ['event_id', 'session_id', 'visitor_type', 'visitor_id', 'account_id', 'openid',
    'event_name', 'platform', 'local_hour', 'local_iso_weekday', 'is_session_start', 'event_at'] %}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
),

{{ incremental_changed_rows('events', 'event_date', fingerprinted, 'activity_date', 'events_fingerprint',
    keys=visitor) }},

classified as (
    select
        *,
        {{ daypart('local_hour') }} as daypart,
        local_iso_weekday >= 6 as is_weekend,
        {{ row_fingerprint(fingerprinted) }} as event_fingerprint
    from changed_rows
),

final as (
    select
        session_id,
        visitor_type,
        visitor_id,
        event_date as activity_date,
        count(*) as events,
        {% for measure, names in measures.items() -%}
            {%- set quoted_names = "'" ~ (names | join("', '")) ~ "'" %}
            count(case when event_name in ({{ quoted_names }}) then 1 end) as {{ measure }},
        {% endfor -%}
        count(case when is_session_start then 1 end) as session_starts,
        {% for platform in event_platforms() -%}
            count(case when platform = '{{ platform }}' then 1 end) as events_on_{{ platform }},
        {% endfor -%}
        {% for part in dayparts() -%}
            count(case when daypart = '{{ part }}' then 1 end) as events_in_{{ part }},
        {% endfor -%}
        count(case when is_weekend then 1 end) as events_on_weekend,
        min(platform) as first_platform,
        {{ first_value_by_time('account_id', 'event_at') }} as first_account_id,
        min(case when account_id is not null then event_at end) as first_account_at,
        {{ first_value_by_time('openid', 'event_at') }} as first_openid,
        min(case when openid is not null then event_at end) as first_openid_at,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        sum(event_fingerprint) as events_fingerprint
    from classified
    group by session_id, visitor_type, visitor_id, event_date
)

select * from final
{{- replacement_markers(visitor, 'activity_date') }}
