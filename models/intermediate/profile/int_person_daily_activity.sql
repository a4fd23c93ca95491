{# Digital behaviour per person and local day: events by kind, sessions started, time
   in session, platform, daypart and weekend counts. The rolling windows of
   `int_person_metrics` add these days up, so a new day never rescans history. #}
{%- set measures = event_measures() %}

with

events as (
    select * from {{ ref('int_events_persons_attached') }}
    where person_id is not null
),

events_with_persons as (
    select
        person_id,
        event_name,
        platform,
        {{ daypart('local_hour') }} as daypart,
        local_iso_weekday >= 6 as is_weekend,
        is_session_start,
        session_duration_seconds as duration_seconds,
        event_date
    from events
),

final as (
    select
        person_id,
        event_date as activity_date,
        count(*) as events,
        {% for measure, names in measures.items() -%}
            {%- set quoted_names = "'" ~ (names | join("', '")) ~ "'" %}
            count(case when event_name in ({{ quoted_names }}) then 1 end) as {{ measure }},
        {% endfor -%}
        count(case when is_session_start then 1 end) as sessions,
        cast(sum(case when is_session_start then duration_seconds else 0 end) as bigint) as session_seconds,
        {% for platform in event_platforms() -%}
            count(case when platform = '{{ platform }}' then 1 end) as events_on_{{ platform }},
        {% endfor -%}
        {% for part in dayparts() -%}
            count(case when daypart = '{{ part }}' then 1 end) as events_in_{{ part }},
        {% endfor -%}
        count(case when is_weekend then 1 end) as events_on_weekend
    from events_with_persons
    group by person_id, event_date
)

select * from final
