{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    full_refresh=false,
    pre_hook="{{ follow_person_merges() }}",
    post_hook="{{ erase_audience_history() }}"
) }}
-- depends_on: {{ ref('int_identity__former_person_ids') }}
{# Who entered and who exited each audience, and when (the as-of date of the build that
   saw it): one row per audience, person and change. Append-only and kept by
   `--full-refresh`, like the snapshots: the history of an audience outlives any rebuild.
   A person is in an audience when their latest change is `entered`; each build compares
   the current members with that state. A OneID merge moves the retired id's rows to the
   surviving id first (pre-hook), so it shows no false exit or entry; an erased person's
   rows are deleted (post-hook). #}
with

current_members as (
    select
        audience_code,
        person_id
    from {{ ref('fct_audience_members') }}
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('int_profile__as_of_date') }}
),

{% if is_incremental() %}
    previous_state as (
        select
            audience_code,
            person_id,
            change
        from {{ this }}
        qualify row_number() over (partition by audience_code, person_id order by recorded_at desc) = 1
    ),

    previous_members as (
        select
            audience_code,
            person_id
        from previous_state
        where change = 'entered'
    ),
{% else %}
    previous_members as (
        select
            cast(null as {{ dbt.type_string() }}) as audience_code,
            cast(null as {{ dbt.type_string() }}) as person_id
        where 1 = 0
    ),
{% endif %}

entered as (
    select
        audience_code,
        person_id,
        'entered' as change  -- noqa: RF04
    from current_members
    except
    select
        audience_code,
        person_id,
        'entered' as change  -- noqa: RF04
    from previous_members
),

exited as (
    select
        audience_code,
        person_id,
        'exited' as change  -- noqa: RF04
    from previous_members
    except
    select
        audience_code,
        person_id,
        'exited' as change  -- noqa: RF04
    from current_members
),

final as (
    select
        cast(changes.audience_code as {{ dbt.type_string() }}) as audience_code,
        cast(changes.person_id as {{ dbt.type_string() }}) as person_id,
        cast(changes.change as {{ dbt.type_string() }}) as change,  -- noqa: RF04
        as_of.as_of_date as change_date,
        {{ run_started_timestamp() }} as recorded_at
    from (
        select * from entered
        union all
        select * from exited
    ) as changes
    cross join as_of
)

select * from final
