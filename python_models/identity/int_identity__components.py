"""Connected components of the identity graph over the used edges (thin wrapper; logic in
portrait.identity.graph)."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.identity import resolve_components


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = (
        dbt.ref("int_identity__identifiers")
        .filter("not is_placeholder")
        .project("identifier_type, identifier_value, first_seen_at")
        .fetch_arrow_table()
    )
    edges = (
        dbt.ref("int_identity__edge_decisions")
        .filter("graph_drop_reason is null")
        .project("identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b")
        .fetch_arrow_table()
    )
    return resolve_components(nodes, edges)
