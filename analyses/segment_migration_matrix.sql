{# Segment migration matrix: how many persons moved from each segment to each other
   segment of one scheme between two moments, from the snapshot history — "who moved from
   loyal to at risk this month". Vars: `scheme` (default `rfm`), `from_at` and `to_at`
   (UTC timestamps; default 30 days ago and now). Compile with
   `dbt compile --select segment_migration_matrix --vars '{scheme: lifecycle}'` and run
   the SQL in target/compiled. #}
{%- set scheme = var('scheme', 'rfm') %}
{%- set from_at = var('from_at', none) %}
{%- set to_at = var('to_at', none) %}
{%- set from_sql = "cast('" ~ from_at ~ "' as timestamp)" if from_at
    else dbt.dateadd('day', -30, dbt.current_timestamp()) %}
{%- set to_sql = "cast('" ~ to_at ~ "' as timestamp)" if to_at else dbt.current_timestamp() %}

with

history as (
    select * from {{ ref('snap_profile__person_segments') }}
    where scheme = '{{ scheme }}'
),

moments as (
    select
        'from' as moment,
        {{ from_sql }} as moment_at
    union all
    select
        'to' as moment,
        {{ to_sql }} as moment_at
),

segments_at_moments as (
    select
        history.person_id,
        moments.moment,
        history.segment_code
    from history
    inner join moments
        on
            history.dbt_valid_from <= moments.moment_at
            and (history.dbt_valid_to is null or history.dbt_valid_to > moments.moment_at)
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
        coalesce(from_segment, '(not yet a person)') as from_segment,
        coalesce(to_segment, '(gone)') as to_segment,
        count(*) as persons
    from moves
    group by coalesce(from_segment, '(not yet a person)'), coalesce(to_segment, '(gone)')
)

select * from final
order by from_segment, to_segment
