{# The identity graph's edges with their final verdict: `is_used` is true when the edge
   links its two identifiers into one person; otherwise `drop_reason` says why — a
   row-level guard (placeholder, degree cap, steward split of the pair) or a graph-level
   decision (the conflict rule, a steward split that cut another path). PII layer. #}

with

candidate_edges as (
    select * from {{ ref('int_identity__candidate_edges') }}
),

edge_decisions as (
    select * from {{ ref('int_identity__edge_decisions') }}
),

judged as (
    select
        candidate_edges.*,
        coalesce(
            candidate_edges.guard_drop_reason,
            edge_decisions.graph_drop_reason,
            case when edge_decisions.rule is null then 'undecided' end
        ) as drop_reason
    from candidate_edges
    left join edge_decisions
        on
            candidate_edges.identifier_type_a = edge_decisions.identifier_type_a
            and candidate_edges.identifier_value_a = edge_decisions.identifier_value_a
            and candidate_edges.identifier_type_b = edge_decisions.identifier_type_b
            and candidate_edges.identifier_value_b = edge_decisions.identifier_value_b
            and candidate_edges.source_table = edge_decisions.source_table
            and candidate_edges.rule = edge_decisions.rule
),

final as (
    select
        identifier_type_a,
        identifier_value_a,
        identifier_type_b,
        identifier_value_b,
        source_table,
        rule,
        drop_reason,
        supporting_rows,
        drop_reason is null as is_used,
        first_seen_at,
        last_seen_at
    from judged
)

select * from final
