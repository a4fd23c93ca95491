"""Connected components of the identity graph (thin wrapper; logic in portrait.identity)."""

from portrait.identity import resolve_identity


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
        .project("identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b, rule")
        .fetch_arrow_table()
    )
    anchors = (
        dbt.ref("stg_crm__members")
        .filter("phone is not null and not is_phone_placeholder")
        .project("'member_id' as identifier_type, member_id as identifier_value, phone")
        .fetch_arrow_table()
    )
    return resolve_identity(nodes, edges, anchors, weak_types)
