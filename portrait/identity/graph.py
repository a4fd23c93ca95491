"""Connected components over the identity graph, with stable, state-free labels.

The graph's nodes are identifiers (`identifier_type`, `identifier_value`), its edges the
links that survived the guards. A person is a connected component. Its id is derived
from the component itself — the earliest-seen identifier, ties broken by identifier
type and value — so the same data always gives the same ids, a person keeps the id as
data grows, and when two persons merge the older id survives.

Everything is vectorised: identifiers are dictionary-encoded with pyarrow and the
components found by scipy's union-find-like BFS over a sparse matrix.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Tie-break between identifiers first seen at the same instant: the more durable
# identifier names the person.
IDENTIFIER_TYPE_RANK = {
    "member_id": 0,
    "card_no": 1,
    "account_id": 2,
    "unionid": 3,
    "openid": 4,
    "phone": 5,
    "email": 6,
    "device_id": 7,
    "anonymous_id": 8,
}


def component_labels(a: np.ndarray, b: np.ndarray, n_nodes: int) -> np.ndarray:
    """Component label per node (0..k-1) for an undirected graph given as edge arrays."""
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    data = np.ones(len(a), dtype=np.int8)
    graph = coo_matrix((data, (a, b)), shape=(n_nodes, n_nodes)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def _flat(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _node_key(types: pa.Array | pa.ChunkedArray, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return _flat(pc.binary_join_element_wise(types, values, "\x1f"))


def resolve_components(nodes: pa.Table, edges: pa.Table) -> pa.Table:
    """Map every node to the representative identifier of its component.

    nodes: `identifier_type`, `identifier_value`, `first_seen_at` (one row per identifier).
    edges: `identifier_type_a`, `identifier_value_a`, `identifier_type_b`, `identifier_value_b`
           (only the edges that may link people); both ends must be among the nodes.

    Returns the nodes with `component_type` and `component_value`: the representative
    identifier of the node's component (earliest `first_seen_at`, then the more durable
    identifier type, then the smaller value).
    """
    universe = _node_key(nodes["identifier_type"], nodes["identifier_value"])
    if len(pc.unique(universe)) != len(universe):
        raise ValueError("nodes must hold each identifier once")
    a = pc.index_in(_node_key(edges["identifier_type_a"], edges["identifier_value_a"]), value_set=universe)
    b = pc.index_in(_node_key(edges["identifier_type_b"], edges["identifier_value_b"]), value_set=universe)
    unknown = pc.sum(pc.add(pc.is_null(a).cast(pa.int64()), pc.is_null(b).cast(pa.int64()))).as_py() or 0
    if unknown:
        raise ValueError(f"{unknown} edge endpoints are not among the nodes")
    labels = component_labels(
        a.to_numpy(zero_copy_only=False).astype(np.int64),
        b.to_numpy(zero_copy_only=False).astype(np.int64),
        len(universe),
    )
    if len(labels) == 0:
        return nodes.append_column("component_type", pa.array([], pa.string())).append_column(
            "component_value", pa.array([], pa.string())
        )

    type_rank = pc.index_in(nodes["identifier_type"], value_set=pa.array(list(IDENTIFIER_TYPE_RANK)))
    type_rank = pc.fill_null(type_rank, len(IDENTIFIER_TYPE_RANK)).to_numpy(zero_copy_only=False)
    value_rank = pc.rank(_flat(nodes["identifier_value"]), sort_keys="ascending", tiebreaker="dense")
    seen_rank = pc.rank(_flat(nodes["first_seen_at"]), sort_keys=[("", "ascending", "at_end")],
                        tiebreaker="dense")
    # np.lexsort sorts by the last key first: component, then first seen, type, value.
    order = np.lexsort((
        value_rank.to_numpy(zero_copy_only=False),
        type_rank,
        seen_rank.to_numpy(zero_copy_only=False),
        labels,
    ))
    sorted_labels = labels[order]
    is_first = np.ones(len(order), dtype=bool)
    is_first[1:] = sorted_labels[1:] != sorted_labels[:-1]
    representative_of_label = np.empty(labels.max() + 1, dtype=np.int64)
    representative_of_label[sorted_labels[is_first]] = order[is_first]
    representative = pa.array(representative_of_label[labels])
    return nodes.append_column(
        "component_type", pc.take(nodes["identifier_type"], representative)
    ).append_column("component_value", pc.take(nodes["identifier_value"], representative))


WEAK_IDENTIFIER_TYPES = ("device_id", "anonymous_id")


def apply_conflict_rule(
    nodes: pa.Table,
    edges: pa.Table,
    anchors: pa.Table,
    weak_types: tuple[str, ...] = WEAK_IDENTIFIER_TYPES,
) -> np.ndarray:
    """Which edges may be used under the conflict rule; returns a boolean mask over `edges`.

    Rule: two CRM members with valid, different phones are never merged through weak
    identifiers (devices, anonymous ids) alone. Strong edges (neither end weak) are
    always kept. Weak identifiers are grouped into clusters by weak-weak edges (a device
    and its anonymous ids); a cluster attaches to strong components through weak-strong
    edges. Where attachments would put strong components whose members carry different
    phones into one person, every cluster that attaches to two or more strong components
    there is a bridge, and its weak-strong edges are dropped: the family tablet becomes
    its own person instead of fusing two families. Clusters that attach to one strong
    component keep their edge.

    anchors: `identifier_type`, `identifier_value` (the CRM member), `phone` (its valid phone).
    """
    import pandas as pd

    universe = _node_key(nodes["identifier_type"], nodes["identifier_value"])
    n = len(universe)
    mask = np.ones(edges.num_rows, dtype=bool)
    if n == 0 or edges.num_rows == 0:
        return mask
    a = pc.index_in(_node_key(edges["identifier_type_a"], edges["identifier_value_a"]), value_set=universe)
    b = pc.index_in(_node_key(edges["identifier_type_b"], edges["identifier_value_b"]), value_set=universe)
    a = a.to_numpy(zero_copy_only=False).astype(np.int64)
    b = b.to_numpy(zero_copy_only=False).astype(np.int64)
    weak_values = pa.array(list(weak_types))
    node_is_weak = pc.is_in(_flat(nodes["identifier_type"]), value_set=weak_values).to_numpy(zero_copy_only=False)
    a_weak, b_weak = node_is_weak[a], node_is_weak[b]
    strong_edge = ~a_weak & ~b_weak
    weak_weak = a_weak & b_weak
    weak_strong = a_weak ^ b_weak

    strong_label = component_labels(a[strong_edge], b[strong_edge], n)
    cluster_label = component_labels(a[weak_weak], b[weak_weak], n)

    # Phone signature of every strong component that holds an anchored CRM member.
    anchor_keys = _node_key(anchors["identifier_type"], anchors["identifier_value"])
    anchor_index = pc.index_in(anchor_keys, value_set=universe).to_numpy(zero_copy_only=False)
    known = ~pd.isna(anchor_index)
    signatures = (
        pd.DataFrame({
            "strong": strong_label[anchor_index[known].astype(np.int64)],
            "phone": anchors["phone"].to_numpy(zero_copy_only=False)[known],
        })
        .dropna()
        .drop_duplicates()
        .sort_values(["strong", "phone"])
        .groupby("strong")["phone"]
        .agg("|".join)
    )
    if signatures.empty:
        return mask

    # Attachments of weak clusters to strong components.
    weak_end = np.where(a_weak, a, b)[weak_strong]
    strong_end = np.where(a_weak, b, a)[weak_strong]
    attach = pd.DataFrame({
        "edge": np.flatnonzero(weak_strong),
        "cluster": cluster_label[weak_end],
        "strong": strong_label[strong_end],
    })
    pairs = attach[["cluster", "strong"]].drop_duplicates()
    n_strong = int(strong_label.max()) + 1
    group = component_labels(
        pairs["strong"].to_numpy(), pairs["cluster"].to_numpy() + n_strong,
        n_strong + int(cluster_label.max()) + 1,
    )
    pairs = pairs.assign(group=group[pairs["strong"].to_numpy()])
    pairs = pairs.assign(signature=pairs["strong"].map(signatures))
    distinct_signatures = pairs.groupby("group")["signature"].nunique()
    conflicting_groups = distinct_signatures.index[distinct_signatures > 1]
    attachments_per_cluster = pairs.groupby("cluster")["strong"].nunique()
    bridges = pairs.loc[
        pairs["group"].isin(conflicting_groups)
        & pairs["cluster"].map(attachments_per_cluster).gt(1),
        "cluster",
    ].unique()
    dropped = attach.loc[attach["cluster"].isin(bridges), "edge"].to_numpy()
    mask[dropped] = False
    return mask


def resolve_identity(
    nodes: pa.Table,
    edges: pa.Table,
    anchors: pa.Table,
    weak_types: tuple[str, ...] = WEAK_IDENTIFIER_TYPES,
) -> pa.Table:
    """The whole resolution: conflict rule, then components, then representatives.

    nodes: identifiers that may belong to a person (placeholders left out).
    edges: edges that passed the SQL guards, with `rule`; `steward_merge` edges are
           applied last and bypass the conflict rule. Edges whose ends are not among
           the nodes (a steward's typo) are ignored.
    anchors: CRM members with their valid phone (for the conflict rule).
    """
    universe = _node_key(nodes["identifier_type"], nodes["identifier_value"])
    known = pc.and_(
        pc.is_in(_node_key(edges["identifier_type_a"], edges["identifier_value_a"]), value_set=universe),
        pc.is_in(_node_key(edges["identifier_type_b"], edges["identifier_value_b"]), value_set=universe),
    )
    edges = edges.filter(known)
    is_merge = pc.equal(edges["rule"], "steward_merge")
    observed = edges.filter(pc.invert(is_merge))
    keep = apply_conflict_rule(nodes, observed, anchors, weak_types)
    used = pa.concat_tables([observed.filter(pa.array(keep)), edges.filter(is_merge)])
    return resolve_components(nodes, used)
