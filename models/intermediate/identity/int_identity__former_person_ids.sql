{# Which current person each former person id now belongs to. A person id is the keyed hash
   of the person's representative identifier (the earliest seen), so when two persons merge
   the younger id disappears, and it is the hash of an identifier the surviving person now
   holds. Every identifier's own would-be id is listed against its person: an id that no
   longer exists finds its survivor here; a current id never appears as a former one.
   During `portrait rotate-key`'s run the ids every identifier had under the previous key
   are listed too, so a rotation is followed like a merge. Histories keyed by person id
   (audience membership, the export ledger) follow merges and rotations through this
   table instead of showing persons leaving and entering. An identifier an erasure
   request named (a new sign-up may bring it back) gives no former id: the ids it gave
   belonged to the erased person, and nothing may lead to them. A table, not a view: the
   previous key must not be stored in a view's definition. #}
{%- set previous_key = previous_hash_key() %}
{%- set erased = suppression_entries() if execute else none %}

with

{% if erased is not none %}
    erased_entries as (
        select
            entries.identifier_type,
            entries.identifier_hash
        from ({{ erased }}) as entries
    ),
{% else %}
    erased_entries as (
        select
            cast(null as {{ dbt.type_string() }}) as identifier_type,
            cast(null as {{ dbt.type_string() }}) as identifier_hash
        where 1 = 0
    ),
{% endif %}

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

kept_identifiers as (
    select person_map.*
    from person_map
    left join erased_entries
        on
            person_map.identifier_hash = erased_entries.identifier_hash
            and erased_entries.identifier_type != 'person'
    where erased_entries.identifier_hash is null
),

would_be_ids as (
    select
        {{ person_id_from('identifier_type', 'identifier_value') }} as former_person_id,
        person_id
    from kept_identifiers
    {% if previous_key is not none -%}
        union all
        select
            {{ person_id_from('identifier_type', 'identifier_value', previous_key) }} as former_person_id,
            person_id
        from kept_identifiers
    {%- endif %}
),

final as (
    select distinct
        former_person_id,
        person_id
    from would_be_ids
    where
        former_person_id != person_id
        and former_person_id not in (
            select erased_entries.identifier_hash from erased_entries
            where erased_entries.identifier_type = 'person'
        )
)

select * from final
