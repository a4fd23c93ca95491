{# Bridge from every identifier (as a keyed hash, never the raw value) to its person:
   what activation jobs join on. #}

with

-- built after the suppression list, so that its snapshot can erase history (erase_from_history):
-- depends_on: {{ ref('privacy_suppression_list') }}

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
