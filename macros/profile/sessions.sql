{#- For the incremental cut of `int_events_sessionized`: the CTE `carried_in`, each
    re-cut visitor's last held event of the day before the first day it re-cuts, with its
    session start: per visitor (`incremental_replaced`, DuckDB) or for every visitor
    before the first day re-cut (`incremental_since`, Spark). A visitor quiet for longer
    than that starts a new session anyway (the timeout is at most a day). Empty on a full
    build. -#}
{% macro sessions_carried_in(keys) -%}
    {%- if is_incremental_run() -%}
    carried_in_ranked as (
        select
            held.event_id,
            held.visitor_type,
            held.visitor_id,
            held.event_date,
            held.event_at,
            held.session_started_at,
            row_number() over (
                partition by {% for key in keys %}held.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
                order by held.event_at desc, held.event_id desc
            ) as recency_rank
        from {{ this }} as held
        {%- if replaces_by_key(keys) %}
        inner join incremental_replaced
            on
                {% for key in keys -%}
                held.{{ key }} = incremental_replaced.{{ key }} and
                {% endfor -%}
                held.event_date = {{ dbt.dateadd('day', -1, 'incremental_replaced.replaced_from') }}
        {#- no replaced visitor starts before `since`: lets DuckDB skip older blocks #}
        where held.event_date >= {{ dbt.dateadd('day', -1, '(select incremental_since.since from incremental_since)') }}
        {%- else %}
        where held.event_date = {{ dbt.dateadd('day', -1, '(select incremental_since.since from incremental_since)') }}
        {%- endif %}
    ),

    carried_in as (
        select event_id, visitor_type, visitor_id, event_date, event_at, session_started_at
        from carried_in_ranked
        where recency_rank = 1
    )
    {%- else -%}
    carried_in as (
        select
            cast(null as {{ dbt.type_string() }}) as event_id,
            cast(null as {{ dbt.type_string() }}) as visitor_type,
            cast(null as {{ dbt.type_string() }}) as visitor_id,
            cast(null as date) as event_date,
            cast(null as {{ dbt.type_timestamp() }}) as event_at,
            cast(null as {{ dbt.type_timestamp() }}) as session_started_at
        where 1 = 0
    )
    {%- endif -%}
{%- endmacro %}

{#- The staged events that belong to a visitor (a non-placeholder device or anonymous id):
    the events `int_events_sessionized` cuts into sessions. -#}
{% macro visitor_condition() -%}
    (device_id is not null and not is_device_id_placeholder) or (anonymous_id is not null and not is_anonymous_id_placeholder)
{%- endmacro %}
