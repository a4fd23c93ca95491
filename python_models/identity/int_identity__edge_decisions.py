"""Graph-level verdicts on the edges that passed the row-level guards (thin wrapper;
logic in portrait.identity.graph.decide_edges): the conflict rule and stewards' splits."""

from portrait.imports import serial_imports

with serial_imports():
    import pyarrow as pa
    from portrait.identity import decide_edges


def model(dbt, session):
    dbt.config(materialized="table")
    weak_types = tuple(dbt.config.get("weak_identifier_types") or ("device_id", "anonymous_id"))

    nodes = (
        dbt.ref("int_identity__identifiers")
        .filter("not is_placeholder")
        .project("identifier_type, identifier_value, first_seen_at")
        .fetch_arrow_table()
    )
    edges = (
        dbt.ref("int_identity__candidate_edges")
        .filter("passes_guards")
        .project("identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b, source_table, rule")
        .order("identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b, source_table, rule")
        .fetch_arrow_table()
    )
    anchors = (
        dbt.ref("stg_crm__members")
        .filter("phone is not null and not is_phone_placeholder")
        .project("'member_id' as identifier_type, member_id as identifier_value, phone")
        .fetch_arrow_table()
    )
    splits = (
        dbt.ref("identity_overrides")
        .filter("action = 'split'")
        .project("identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b")
        .fetch_arrow_table()
    )
    reasons = decide_edges(nodes, edges, anchors, splits, weak_types)
    return edges.append_column("graph_drop_reason", reasons.cast(pa.string()))
