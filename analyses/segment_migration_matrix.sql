{# Segment migration matrix between any two dates: how many persons moved from each
   segment of one scheme to each other segment — "who moved from loyal to at risk since
   March". Reads `fct_person_segment_history` (a person's segment on a date is that of the
   last evaluation date on or before it). Vars: `scheme` (default `rfm`), `from_date` and
   `to_date` (local dates; default the last month end before the as-of date, and the as-of
   date). For consecutive months `agg_segment_migration` has the answer ready. Compile with
   `dbt compile --select segment_migration_matrix --vars '{scheme: lifecycle, from_date:
   2026-01-31}'` and run the SQL in target/compiled. #}
{%- set scheme = var('scheme', 'rfm') %}
{%- set from_date = var('from_date', none) %}
{%- set to_date = var('to_date', none) %}

with

history as (
    select * from {{ ref('fct_person_segment_history') }}
    where scheme = '{{ scheme }}'
),

as_of as (
    select * from {{ ref('int_profile__as_of_date') }}
),

moments as (
    select
        'from' as moment,
        {% if from_date -%}
            cast('{{ from_date }}' as date)
        {%- else -%}
            cast({{ dbt.dateadd('day', -1, dbt.date_trunc('month', 'as_of.as_of_date')) }} as date)
        {%- endif %} as moment_date
    from as_of
    union all
    select
        'to' as moment,
        {% if to_date -%}
            cast('{{ to_date }}' as date)
        {%- else -%}
            as_of.as_of_date
        {%- endif %} as moment_date
    from as_of
),

segments_at_moments as (
    select
        history.person_id,
        moments.moment,
        history.segment_code
    from history
    inner join moments
        on
            history.valid_from <= moments.moment_date
            and (history.valid_to is null or history.valid_to > moments.moment_date)
),

moves as (
    select
        person_id,
        max(case when moment = 'from' then segment_code end) as from_segment,
        max(case when moment = 'to' then segment_code end) as to_segment
    from segments_at_moments
    group by person_id
),

final as (
    select
        coalesce(from_segment, 'not_seen') as from_segment,
        to_segment,
        count(*) as persons
    from moves
    group by coalesce(from_segment, 'not_seen'), to_segment
)

select * from final
order by from_segment, to_segment
