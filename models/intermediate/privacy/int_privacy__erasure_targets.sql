{# What each erasure request erases: every identifier (keyed hash) of the person its
   identifier resolves to that was seen by the time of the request, the person id itself
   (type `person`; with every id an earlier merge state could have given the person), and
   the requested identifier even when it resolves to no one (so a
   later delivery of it is suppressed). Identifiers first seen after the request (a new,
   separate sign-up that shares a phone) are not the erased person's.
   Placeholders and unparseable identifiers name no one and are left out (the ledger
   lists such requests as not applicable). Only staged requests appear: once applied, a
   request's own row is erased with the person, and the suppression list keeps its
   entries. Hashes only, no PII. #}
with

requests as (
    select * from {{ ref('stg_privacy__requests') }}
    where
        request_type = 'erasure'
        and identifier is not null
        and not is_identifier_placeholder
),

person_map as (
    select * from {{ ref('int_identity__person_map') }}
),

requested_persons as (
    select distinct
        requests.request_id,
        requests.requested_at,
        person_map.person_id
    from requests
    inner join person_map
        on
            requests.identifier_type = person_map.identifier_type
            and requests.identifier_hash = person_map.identifier_hash
),

person_identifiers as (
    select
        requested_persons.request_id,
        requested_persons.requested_at,
        person_map.identifier_type,
        person_map.identifier_value,
        person_map.identifier_hash
    from requested_persons
    inner join person_map
        on
            requested_persons.person_id = person_map.person_id
            and (person_map.first_seen_at is null or requested_persons.requested_at >= person_map.first_seen_at)
),

targets as (
    select
        request_id,
        requested_at,
        identifier_type,
        identifier_hash
    from person_identifiers

    union all

    -- every id the person had or could have had (an id is the hash of the person's earliest
    -- identifier, so an earlier id, before a merge, is one of these): history rows go too
    select
        request_id,
        requested_at,
        'person' as identifier_type,
        {{ person_id_from('identifier_type', 'identifier_value') }} as identifier_hash
    from person_identifiers

    union all

    select
        request_id,
        requested_at,
        'person' as identifier_type,
        person_id as identifier_hash
    from requested_persons

    union all

    select
        request_id,
        requested_at,
        identifier_type,
        identifier_hash
    from requests
),

final as (
    select distinct
        request_id as erasure_request_id,
        requested_at,
        identifier_type,
        identifier_hash
    from targets
)

select * from final
