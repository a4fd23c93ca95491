{# Bridge from every identifier (as a keyed hash, never the raw value) to its person:
   what activation jobs join on. #}

with

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

final as (
    select
        identifier_type,
        identifier_hash,
        person_id,
        source_tables,
        supporting_rows,
        first_seen_at,
        last_seen_at
    from person_map
)

select * from final
