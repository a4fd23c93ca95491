{# The identity graph's edges with their final verdict: `is_used` is true when the edge
   links its two identifiers into one person; otherwise `drop_reason` says which guard
   dropped it (placeholder, degree cap, steward split, or the conflict rule). PII layer. #}

with

candidate_edges as (
    select * from {{ ref('int_identity__candidate_edges') }}
),

components as (
    select * from {{ ref('int_identity__components') }}
),

judged as (
    select
        candidate_edges.*,
        component_a.component_value is not null
        and component_b.component_value is not null
        and component_a.component_type = component_b.component_type
        and component_a.component_value = component_b.component_value as ends_in_one_person,
        component_a.component_value is null or component_b.component_value is null as has_unknown_end
    from candidate_edges
    left join components as component_a
        on
            candidate_edges.identifier_type_a = component_a.identifier_type
            and candidate_edges.identifier_value_a = component_a.identifier_value
    left join components as component_b
        on
            candidate_edges.identifier_type_b = component_b.identifier_type
            and candidate_edges.identifier_value_b = component_b.identifier_value
),

final as (
    select
        identifier_type_a,
        identifier_value_a,
        identifier_type_b,
        identifier_value_b,
        source_table,
        rule,
        case
            when guard_drop_reason is not null then guard_drop_reason
            when has_unknown_end then 'unknown_identifier'
            when not ends_in_one_person then 'conflict_rule: bridges CRM members with different phones'
        end as drop_reason,
        supporting_rows,
        passes_guards and ends_in_one_person as is_used,
        first_seen_at,
        last_seen_at
    from judged
)

select * from final
