"""Graph-level verdicts on the edges that passed the row-level guards (thin wrapper;
logic in portrait.identity.graph.edge_drop_reasons): the conflict rule and stewards'
splits. DuckDB numbers the edges' identifiers (`int_identity__nodes`), Python decides on
the integer arrays, and DuckDB joins the few verdicts back onto the edges."""

from portrait.imports import serial_imports

with serial_imports():
    import numpy as np
    import pyarrow as pa
    from portrait.identity.graph import edge_drop_reasons, node_number_joins


def model(dbt, session):
    dbt.config(materialized="table")
    weak_types = tuple(dbt.config.get("weak_identifier_types") or ("device_id", "anonymous_id"))
    weak_list = ", ".join("'" + name.replace("'", "''") + "'" for name in weak_types)

    # DuckDB resolves these local names in the queries below (replacement scans); the names
    # are specific so that no table of the search path can shadow them.
    identity_nodes = dbt.ref("int_identity__nodes")
    identity_candidate_edges = dbt.ref("int_identity__candidate_edges")
    crm_members = dbt.ref("stg_crm__members")
    identity_override_rows = dbt.ref("identity_overrides")

    numbered_edges = session.sql(f"""
        select
            edge.identifier_type_a, edge.identifier_value_a, edge.identifier_type_b, edge.identifier_value_b,
            edge.source_table, edge.rule, edge.rule = 'steward_merge' as is_merge,
            coalesce(node_a.node_id, -1) as node_a, coalesce(node_b.node_id, -1) as node_b
        {node_number_joins("identity_candidate_edges", "edge")}
        where edge.passes_guards
    """)
    # in any order: a verdict depends on the edge's ends and `is_merge` only
    edges = numbered_edges.project("node_a, node_b, is_merge").fetchnumpy()
    n_nodes = session.sql("select count(*) from identity_nodes").fetchall()[0][0]
    node_is_weak = session.sql(
        f"select identifier_type in ({weak_list}) as is_weak from identity_nodes order by node_id"
    ).fetchnumpy()["is_weak"]
    anchors = session.sql("""
        select node.node_id, dense_rank() over (order by member.phone) - 1 as phone_code
        from crm_members as member
        inner join identity_nodes as node
            on node.identifier_type = 'member_id' and node.identifier_value = member.member_id
        where member.phone is not null and not member.is_phone_placeholder
    """).fetchnumpy()
    splits = session.sql(f"""
        select coalesce(node_a.node_id, -1) as node_a, coalesce(node_b.node_id, -1) as node_b
        {node_number_joins("identity_override_rows", "split")}
        where split.action = 'split'
        order by split.requested_on, split.identifier_type_a, split.identifier_value_a,
            split.identifier_type_b, split.identifier_value_b
    """).fetchall()  # in request order: a later split acts on what the earlier ones left

    a, b = np.asarray(edges["node_a"], dtype=np.int64), np.asarray(edges["node_b"], dtype=np.int64)
    is_merge = np.asarray(edges["is_merge"], dtype=bool)
    reasons = edge_drop_reasons(
        int(n_nodes), a, b, is_merge, np.asarray(node_is_weak, dtype=bool),
        np.asarray(anchors["node_id"], dtype=np.int64), np.asarray(anchors["phone_code"], dtype=np.int64),
        [(int(x), int(y)) for x, y in splits])
    dropped_rows = np.flatnonzero(np.not_equal(reasons, None))
    if len(dropped_rows) == 0:
        return session.sql("""
            select
                identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b, source_table, rule,
                cast(null as varchar) as graph_drop_reason
            from identity_candidate_edges
            where passes_guards
        """)
    # one verdict per (node_a, node_b, is_merge): parallel edges share it
    dropped_edges = pa.table({
        "node_a": a[dropped_rows], "node_b": b[dropped_rows], "is_merge": is_merge[dropped_rows],
        "graph_drop_reason": pa.array(reasons[dropped_rows], pa.string()),
    })
    return session.sql("""
        select
            numbered_edges.identifier_type_a, numbered_edges.identifier_value_a,
            numbered_edges.identifier_type_b, numbered_edges.identifier_value_b,
            numbered_edges.source_table, numbered_edges.rule, verdict.graph_drop_reason
        from numbered_edges
        left join (select distinct * from dropped_edges) as verdict
            on verdict.node_a = numbered_edges.node_a and verdict.node_b = numbered_edges.node_b
            and verdict.is_merge = numbered_edges.is_merge
    """)
