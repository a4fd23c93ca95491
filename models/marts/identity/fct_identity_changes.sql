{# The identity change ledger: between one run and the next, which person ids were
   created, merged into another or split, derived by comparing each run's map with the
   previous one (the snapshot `snap_identity__person_identifier`). History, not an input
   to any mart. #}

with

history as (
    select * from {{ ref('snap_identity__person_identifier') }}
),

moves as (
    select
        previous.person_id as old_person_id,
        current_version.person_id as new_person_id,
        current_version.dbt_valid_from as changed_at,
        count(*) as identifiers_moved
    from history as previous
    inner join history as current_version
        on
            previous.identifier_type = current_version.identifier_type
            and previous.identifier_hash = current_version.identifier_hash
            and previous.dbt_valid_to = current_version.dbt_valid_from
    where previous.person_id != current_version.person_id
    group by previous.person_id, current_version.person_id, current_version.dbt_valid_from
),

remaining_after_move as (
    select distinct
        moves.old_person_id,
        moves.changed_at
    from moves
    inner join history
        on
            moves.old_person_id = history.person_id
            and moves.changed_at >= history.dbt_valid_from
            and (history.dbt_valid_to is null or moves.changed_at < history.dbt_valid_to)
),

moves_judged as (
    select
        moves.*,
        remaining_after_move.old_person_id is not null as old_person_remains
    from moves
    left join remaining_after_move
        on
            moves.old_person_id = remaining_after_move.old_person_id
            and moves.changed_at = remaining_after_move.changed_at
),

person_first_seen as (
    select
        person_id,
        min(dbt_valid_from) as first_valid_from
    from history
    group by person_id
),

new_persons as (
    select
        cast(null as {{ dbt.type_string() }}) as old_person_id,
        person_first_seen.person_id as new_person_id,
        person_first_seen.first_valid_from as changed_at,
        'new' as change_kind,
        'first run in which the person exists' as reason
    from person_first_seen
    left join moves
        on
            person_first_seen.person_id = moves.new_person_id
            and person_first_seen.first_valid_from = moves.changed_at
    where moves.new_person_id is null
),

changes as (
    select
        old_person_id,
        new_person_id,
        changed_at,
        case when old_person_remains then 'split' else 'merge' end as change_kind,
        {{ dbt.concat([
            dbt.safe_cast("identifiers_moved", dbt.type_string()),
            "' identifier(s) moved from the old person'",
            "case when old_person_remains then ', which keeps the rest' else ', which no longer exists' end",
        ]) }} as reason
    from moves_judged
    union all
    select * from new_persons
),

final as (
    select
        old_person_id,
        new_person_id,
        change_kind,
        reason,
        {{ local_date('changed_at') }} as run_date,
        changed_at
    from changes
)

select * from final
