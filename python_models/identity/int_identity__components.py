"""Connected components of the identity graph over the used edges (thin wrapper; logic in
portrait.identity.graph). DuckDB numbers the used edges' identifiers
(`int_identity__nodes`, numbered in representative order), Python labels the components
on the integer arrays, and DuckDB joins each identifier to its representative: the
smallest number in its component."""

from portrait.imports import serial_imports

with serial_imports():
    import numpy as np
    import pyarrow as pa
    from portrait.identity.graph import component_labels, node_number_joins, representative_numbers


def model(dbt, session):
    dbt.config(materialized="table")
    # DuckDB resolves these local names in the queries below (replacement scans); the names
    # are specific so that no table of the search path can shadow them.
    identity_nodes = dbt.ref("int_identity__nodes")
    edge_decisions = dbt.ref("int_identity__edge_decisions")

    n_nodes, largest = session.sql("select count(*), max(node_id) from identity_nodes").fetchall()[0]
    if n_nodes and largest != n_nodes - 1:
        raise ValueError(f"int_identity__nodes numbers {n_nodes} nodes up to {largest}: expected 0..{n_nodes - 1}")
    used = session.sql(f"""
        select coalesce(node_a.node_id, -1) as a, coalesce(node_b.node_id, -1) as b
        {node_number_joins("edge_decisions", "edge")}
        where edge.graph_drop_reason is null
    """).fetchnumpy()
    a, b = np.asarray(used["a"], dtype=np.int64), np.asarray(used["b"], dtype=np.int64)
    unknown = int((a < 0).sum() + (b < 0).sum())
    if unknown:
        raise ValueError(f"{unknown} used edge endpoints are not among the nodes (int_identity__nodes)")
    representatives = pa.table({
        "node_id": np.arange(n_nodes, dtype=np.int64),
        "representative_id": representative_numbers(component_labels(a, b, int(n_nodes))),
    })
    return session.sql("""
        select
            node.identifier_type, node.identifier_value, node.first_seen_at,
            chosen.identifier_type as component_type, chosen.identifier_value as component_value
        from identity_nodes as node
        inner join representatives on representatives.node_id = node.node_id
        inner join identity_nodes as chosen on chosen.node_id = representatives.representative_id
    """)
