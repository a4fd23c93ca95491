{# One row per identifier (placeholders excluded: they identify nobody) with the person
   it resolves to. `person_id` is a keyed hash of the person's representative identifier
   (the earliest seen; ties broken by identifier type, then value), so it needs no stored
   state: the same data gives the same ids, a person keeps the id as data grows, and when
   two persons merge the older id survives. PII layer. #}

with

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
    where not is_placeholder
),

components as (
    select * from {{ ref('int_identity__components') }}
),

final as (
    select
        {{ person_id_from('components.component_type', 'components.component_value') }} as person_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        {{ identifier_hash_of_type('identifiers.identifier_type', 'identifiers.identifier_value') }}
            as identifier_hash,
        components.component_type as representative_type,
        identifiers.source_tables,
        identifiers.supporting_rows,
        identifiers.first_seen_at,
        identifiers.last_seen_at
    from identifiers
    inner join components
        on
            identifiers.identifier_type = components.identifier_type
            and identifiers.identifier_value = components.identifier_value
)

select * from final
