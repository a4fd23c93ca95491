"""Connected components over the identity graph, with stable, state-free labels.

The graph's nodes are identifiers (`identifier_type`, `identifier_value`), its edges the
links that survived the guards. A person is a connected component. Its id is derived
from the component itself — the earliest-seen identifier, ties broken by identifier
type and value — so the same data always gives the same ids, a person keeps the id as
data grows, and when two persons merge the older id survives.

Everything is vectorised on integer node numbers. In the warehouse the numbers come from
`int_identity__nodes` (`node_id`: the identifiers numbered in representative order), so
the dbt models hand this module integer arrays only; the functions on Arrow tables of
identifier strings (`resolve_components`, `decide_edges`) number the nodes the same way
in Python (`node_numbers`) and call the same integer functions. Components are found by
scipy's BFS over a sparse matrix.
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


def node_number_joins(pairs: str, alias: str, nodes: str = "identity_nodes") -> str:
    """SQL for the OneID Python models: `from <pairs> as <alias>` with both ends joined to
    their node numbers, `node_a.node_id` and `node_b.node_id` (NULL when an end is not a
    node). `pairs` has `identifier_type_a`, `identifier_value_a`, `identifier_type_b`,
    `identifier_value_b`; `nodes` is `int_identity__nodes` (names DuckDB resolves)."""
    joins = [f"from {pairs} as {alias}"]
    for end in ("a", "b"):
        joins.append(f"left join {nodes} as node_{end} on node_{end}.identifier_type = {alias}.identifier_type_{end}"
                     f" and node_{end}.identifier_value = {alias}.identifier_value_{end}")
    return "\n".join(joins)


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


def _universe(nodes: pa.Table) -> pa.Array:
    """Node keys, in node order. Nodes hold each identifier once: the dbt test
    `unique_combination_of_columns` on `int_identity__identifiers` guards that before any
    Python model runs (dbt build skips the children of a failed test)."""
    return _node_key(nodes["identifier_type"], nodes["identifier_value"])


def _indices(universe: pa.Array, types: pa.Array, values: pa.Array) -> np.ndarray:
    """Row number of each (type, value) among the nodes; -1 where it is not a node."""
    found = pc.index_in(_node_key(types, values), value_set=universe)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def node_numbers(nodes: pa.Table) -> np.ndarray:
    """Per node row, its number in representative order: earliest `first_seen_at` (missing
    last), then the more durable identifier type (`IDENTIFIER_TYPE_RANK`; unknown types
    last), then the smaller value, then the type. The Python twin of
    `int_identity__nodes.node_id` (a test holds the two equal)."""
    n = nodes.num_rows
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    types = _flat(nodes["identifier_type"])
    type_rank = pc.index_in(types, value_set=pa.array(list(IDENTIFIER_TYPE_RANK)))
    type_rank = pc.fill_null(type_rank, len(IDENTIFIER_TYPE_RANK)).to_numpy(zero_copy_only=False)
    type_name_rank = pc.rank(types, sort_keys="ascending", tiebreaker="dense").to_numpy(zero_copy_only=False)
    value_rank = pc.rank(_flat(nodes["identifier_value"]), sort_keys="ascending", tiebreaker="dense")
    seen_rank = pc.rank(_flat(nodes["first_seen_at"]), sort_keys=[("", "ascending", "at_end")],
                        tiebreaker="dense")
    # np.lexsort sorts by the last key first: first seen, type rank, value, type name.
    order = np.lexsort((type_name_rank, value_rank.to_numpy(zero_copy_only=False), type_rank,
                        seen_rank.to_numpy(zero_copy_only=False)))
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = np.arange(n, dtype=np.int64)
    return numbers


def representative_numbers(labels: np.ndarray) -> np.ndarray:
    """Per node number, the smallest node number of its component: with nodes numbered in
    representative order (`node_numbers`, `int_identity__nodes`), the component's
    representative. `labels`: the component label of each node number."""
    n = len(labels)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    smallest = np.full(int(labels.max()) + 1, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n, dtype=np.int64))
    return smallest[labels]


def resolve_components(nodes: pa.Table, edges: pa.Table) -> pa.Table:
    """Map every node to the representative identifier of its component.

    nodes: `identifier_type`, `identifier_value`, `first_seen_at` (one row per identifier).
    edges: `identifier_type_a`, `identifier_value_a`, `identifier_type_b`, `identifier_value_b`
           (only the edges that may link people); both ends must be among the nodes.

    Returns the nodes with `component_type` and `component_value`: the representative
    identifier of the node's component (earliest `first_seen_at`, then the more durable
    identifier type, then the smaller value).
    """
    universe = _universe(nodes)
    a = _indices(universe, edges["identifier_type_a"], edges["identifier_value_a"])
    b = _indices(universe, edges["identifier_type_b"], edges["identifier_value_b"])
    unknown = int((a < 0).sum() + (b < 0).sum())
    if unknown:
        raise ValueError(f"{unknown} edge endpoints are not among the nodes")
    numbers = node_numbers(nodes)
    labels = component_labels(numbers[a], numbers[b], nodes.num_rows)
    row_of_number = np.argsort(numbers)
    representative = pa.array(row_of_number[representative_numbers(labels)[numbers]], pa.int64())
    return nodes.append_column(
        "component_type", pc.take(nodes["identifier_type"], representative)
    ).append_column("component_value", pc.take(nodes["identifier_value"], representative))


WEAK_IDENTIFIER_TYPES = ("device_id", "anonymous_id")


def _set_hash(groups: np.ndarray, members: np.ndarray) -> "pd.Series":
    """An order-free 64-bit hash of the set of `members` per group (distinct pairs)."""
    import pandas as pd

    pairs = pd.DataFrame({"group": groups, "member": members}).drop_duplicates()
    x = pairs["member"].to_numpy().astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return pd.Series(x, index=pairs["group"].to_numpy()).groupby(level=0).sum()


def _conflict_mask(a: np.ndarray, b: np.ndarray, node_is_weak: np.ndarray,
                   anchor_node: np.ndarray, anchor_phone: np.ndarray) -> np.ndarray:
    """The conflict rule on integer node ids (see `apply_conflict_rule`)."""
    import pandas as pd

    n = len(node_is_weak)
    mask = np.ones(len(a), dtype=bool)
    if n == 0 or len(a) == 0 or len(anchor_node) == 0:
        return mask
    a_weak, b_weak = node_is_weak[a], node_is_weak[b]
    strong_edge = ~a_weak & ~b_weak
    weak_weak = a_weak & b_weak
    weak_strong = a_weak ^ b_weak

    strong_label = component_labels(a[strong_edge], b[strong_edge], n)
    cluster_label = component_labels(a[weak_weak], b[weak_weak], n)
    # Phone signature of every strong component holding an anchored CRM member.
    signatures = _set_hash(strong_label[anchor_node], anchor_phone)

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


def _conflict_inputs(nodes: pa.Table, universe: pa.Array, anchors: pa.Table,
                     weak_types: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    node_is_weak = pc.is_in(_flat(nodes["identifier_type"]), value_set=pa.array(list(weak_types)))
    anchor_node = _indices(universe, anchors["identifier_type"], anchors["identifier_value"])
    phone_code = pc.dictionary_encode(_flat(anchors["phone"])).indices
    phone_code = pc.fill_null(phone_code, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = (anchor_node >= 0) & (phone_code >= 0)
    return node_is_weak.to_numpy(zero_copy_only=False), anchor_node[keep], phone_code[keep]


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
    universe = _universe(nodes)
    a = _indices(universe, edges["identifier_type_a"], edges["identifier_value_a"])
    b = _indices(universe, edges["identifier_type_b"], edges["identifier_value_b"])
    if ((a < 0) | (b < 0)).any():
        raise ValueError("edge endpoints are not among the nodes")
    return _conflict_mask(a, b, *_conflict_inputs(nodes, universe, anchors, weak_types))


def _cut_splits(n: int, a: np.ndarray, b: np.ndarray, used: np.ndarray,
                splits: list[tuple[int, int]], max_cuts: int = 100) -> np.ndarray:
    """Stewards' forced splits, applied last: while a split pair is still connected over
    the used edges, drop the used edge(s) entering the second identifier on a shortest
    path between them. Returns the indices of the edges cut."""
    from scipy.sparse.csgraph import breadth_first_order

    cut: list[np.ndarray] = []
    for source, target in splits:
        if source < 0 or target < 0 or source == target:
            continue
        for _ in range(max_cuts):
            idx = np.flatnonzero(used)
            graph = coo_matrix((np.ones(len(idx), dtype=np.int8), (a[idx], b[idx])), shape=(n, n)).tocsr()
            _, predecessors = breadth_first_order(graph, source, directed=False, return_predecessors=True)
            previous = predecessors[target]
            if previous < 0:
                break
            hop = idx[((a[idx] == previous) & (b[idx] == target)) | ((a[idx] == target) & (b[idx] == previous))]
            used[hop] = False
            cut.append(hop)
    return np.concatenate(cut) if cut else np.zeros(0, dtype=np.int64)


CONFLICT_REASON = "conflict_rule: bridges CRM members with different phones"
SPLIT_REASON = "steward_split: path cut"
UNKNOWN_REASON = "unknown_identifier"


def edge_drop_reasons(n_nodes: int, a: np.ndarray, b: np.ndarray, is_merge: np.ndarray, node_is_weak: np.ndarray,
                      anchor_node: np.ndarray, anchor_phone: np.ndarray,
                      splits: list[tuple[int, int]]) -> np.ndarray:
    """Why each guard-passing edge is not used (None when it is), on integer node numbers.

    a, b: the edge's node numbers (-1: not a node); is_merge: the edge is a steward merge
    (it bypasses the conflict rule); node_is_weak: per node number; anchor_node,
    anchor_phone: CRM members with a valid phone (node number, phone code); splits: the
    stewards' forced splits as node-number pairs, applied last, one after another in list
    order (a later split acts on what the earlier ones left: pass them in request order),
    each cutting every remaining path between its pair. An edge's verdict depends only on
    its two ends and whether it is a steward merge, never on the order of the edges (a
    split ends up cutting every used edge into the second identifier from the first one's
    side, whichever path it finds first).
    Returns one reason per edge (object array): None, `unknown_identifier`,
    `conflict_rule: ...` or `steward_split: path cut`.
    """
    known = (a >= 0) & (b >= 0)
    observed = known & ~is_merge
    keep = _conflict_mask(a[observed], b[observed], node_is_weak, anchor_node, anchor_phone)
    used = known & is_merge
    used[np.flatnonzero(observed)[keep]] = True
    reasons = np.full(len(a), None, dtype=object)
    reasons[~known] = UNKNOWN_REASON
    reasons[np.flatnonzero(observed)[~keep]] = CONFLICT_REASON
    reasons[_cut_splits(n_nodes, a, b, used, splits)] = SPLIT_REASON
    return reasons


def decide_edges(
    nodes: pa.Table,
    edges: pa.Table,
    anchors: pa.Table,
    splits: pa.Table,
    weak_types: tuple[str, ...] = WEAK_IDENTIFIER_TYPES,
) -> pa.Array:
    """`edge_drop_reasons` on Arrow tables of identifier strings.

    edges: edges that passed the SQL guards, with `rule` (`steward_merge` edges bypass the
    conflict rule). anchors: `identifier_type`, `identifier_value` (the CRM member),
    `phone`. splits: the stewards' forced splits (`identifier_type_a`, ...).
    Returns one reason per edge, as a string array.
    """
    universe = _universe(nodes)
    a = _indices(universe, edges["identifier_type_a"], edges["identifier_value_a"])
    b = _indices(universe, edges["identifier_type_b"], edges["identifier_value_b"])
    is_merge = pc.equal(edges["rule"], "steward_merge").to_numpy(zero_copy_only=False)
    split_a = _indices(universe, splits["identifier_type_a"], splits["identifier_value_a"])
    split_b = _indices(universe, splits["identifier_type_b"], splits["identifier_value_b"])
    reasons = edge_drop_reasons(len(universe), a, b, is_merge, *_conflict_inputs(nodes, universe, anchors, weak_types),
                                list(zip(split_a.tolist(), split_b.tolist())))
    return pa.array(reasons, pa.string())
