{# A steward override (seed `identity_overrides`, a file people edit) must not keep an
   identifier of an erased person: the seed is loaded into the warehouse and feeds the
   identity graph. Each row returned names an override row to delete from
   seeds/identity/identity_overrides.csv (by the erasure request that listed it). #}
{%- set hashes = {} %}
{%- for side in ['a', 'b'] %}
    {%- do hashes.update({side: identifier_hash_of_type(
        'identifier_type_' ~ side, normalise_identifier_of_type('identifier_type_' ~ side, 'identifier_value_' ~ side)
    )}) %}
{%- endfor %}

with

entries as (
    select * from {{ ref('privacy_suppression_list') }}
    where
        hash_key_id = {{ hash_key_id() }}
        and identifier_type != 'person'
        and suppressed_at < {{ run_started_timestamp() }}
),

overrides as (
    select * from {{ ref('identity_overrides') }}
),

override_identifiers as (
    select
        action,
        identifier_type_a as identifier_type,
        {{ hashes['a'] }} as identifier_hash
    from overrides

    union all

    select
        action,
        identifier_type_b as identifier_type,
        {{ hashes['b'] }} as identifier_hash
    from overrides
),

final as (
    select
        entries.erasure_request_id,
        override_identifiers.action,
        override_identifiers.identifier_type
    from override_identifiers
    inner join entries
        on
            override_identifiers.identifier_type = entries.identifier_type
            and override_identifiers.identifier_hash = entries.identifier_hash
)

select * from final
