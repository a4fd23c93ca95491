{#- Pre-hook of the person-keyed histories that outlive rebuilds (e.g.
    `fct_audience_membership_changes`): rows of a person id that a OneID merge retired are
    moved to the surviving id before the build compares today with the history, so a
    merge shows neither an exit of the old id nor an entry of the new one. Where the
    survivor already has a row of the same key (`key_columns` and the same
    `recorded_at`), the survivor's own row stands and the retired id's is dropped.
    Nothing to do on the first build. -#}
{% macro follow_person_merges(key_columns=['audience_code'], person_column='person_id') -%}
    {%- if not is_incremental() -%}{{ return('') }}{%- endif -%}
    {%- set merges = ref('int_identity__former_person_ids') -%}
    delete from {{ this }}
    where rowid in (
        select ranked.row_number_id
        from (
            select
                history.rowid as row_number_id,
                row_number() over (
                    partition by
                        {% for column in key_columns %}history.{{ column }}, {% endfor -%}
                        coalesce(merges.person_id, history.{{ person_column }}), history.recorded_at
                    order by merges.former_person_id is not null, history.{{ person_column }}
                ) as duplicate_number
            from {{ this }} as history
            left join {{ merges }} as merges on history.{{ person_column }} = merges.former_person_id
            where history.{{ person_column }} in (
                select merges.former_person_id from {{ merges }} as merges
                union all
                select merges.person_id from {{ merges }} as merges
            )
        ) as ranked
        where ranked.duplicate_number > 1
    );
    update {{ this }} as history
    set {{ person_column }} = merges.person_id
    from {{ merges }} as merges
    where history.{{ person_column }} = merges.former_person_id
{%- endmacro %}
