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
        {{ from_sql }} as from_at,
        {{ to_sql }} as to_at
),

segment_then as (
    select
        history.person_id,
        history.segment_code
    from history
    cross join moments
    where
        history.dbt_valid_from <= moments.from_at
        and (history.dbt_valid_to is null or history.dbt_valid_to > moments.from_at)
),

segment_now as (
    select
        history.person_id,
        history.segment_code
    from history
    cross join moments
    where
        history.dbt_valid_from <= moments.to_at
        and (history.dbt_valid_to is null or history.dbt_valid_to > moments.to_at)
),

final as (
    select
        coalesce(segment_then.segment_code, '(not yet a person)') as from_segment,
        coalesce(segment_now.segment_code, '(gone)') as to_segment,
        count(*) as persons
    from segment_then
    full outer join segment_now on segment_then.person_id = segment_now.person_id
    group by
        coalesce(segment_then.segment_code, '(not yet a person)'),
        coalesce(segment_now.segment_code, '(gone)')
)

select * from final
order by from_segment, to_segment
