{# Erasure reaches identity and the marts: no record key (member, card, account, WeChat,
   device, anonymous id) listed for an erasure in effect in this build resolves to a
   person in `bdg_person_identifier`. Phones and e-mails may come back in rows after the
   request (a new, separate sign-up), so they are not checked here; the pytest suite scans
   every table for them. Entries listed by this very build take effect in the next one
   (`portrait run` starts it at once). #}
{%- set record_keys = identifier_types() | reject('in', time_bound_identifier_types()) | list %}

{%- set record_keys = identifier_types() | reject('in', time_bound_identifier_types()) | list %}

with

entries as (
    select * from {{ ref('privacy_suppression_list') }}
    where
        hash_key_id = {{ hash_key_id() }}
        and identifier_type in (
            {%- for identifier_type in record_keys %}
                '{{ identifier_type }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        and suppressed_at < {{ run_started_timestamp() }}
),

identifiers as (
    select * from {{ ref('bdg_person_identifier') }}
),

final as (
    select
        entries.erasure_request_id,
        entries.identifier_type,
        identifiers.person_id
    from entries
    inner join identifiers
        on
            entries.identifier_type = identifiers.identifier_type
            and entries.identifier_hash = identifiers.identifier_hash
)

select * from final
