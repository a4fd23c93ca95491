"""Ground truth of one chunk: the identity graph of delivered valid rows, junk rows."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import config as C
from . import ids as I
from .junk import VERSIONED
from .util import last_in_groups

#: identity-bearing columns per table: (internal column, identifier type); all identifiers
#: of one valid row are linked (a star on the first one present). shop_orders.account_id
#: is a node without edges; ship_phone, recipients and privacy identifiers are not identity.
IDENTITY_COLUMNS: dict[str, list[tuple[str, int]]] = {
    "crm_members": [("member", I.MEMBER), ("phone", I.PHONE), ("email", I.EMAIL), ("card", I.CARD),
                    ("unionid", I.UNIONID)],
    "shop_accounts": [("account", I.ACCOUNT), ("phone", I.PHONE), ("email", I.EMAIL)],
    "shop_orders": [("account", I.ACCOUNT)],
    "app_events": [("device", I.DEVICE), ("anon", I.ANON), ("account", I.ACCOUNT), ("openid", I.OPENID)],
    "wechat_users": [("openid", I.OPENID), ("unionid", I.UNIONID), ("phone", I.PHONE)],
    "pos_transactions": [("card", I.CARD), ("phone", I.PHONE)],
    "service_tickets": [("account", I.ACCOUNT), ("phone", I.PHONE), ("email", I.EMAIL)],
    "survey_responses": [("phone", I.PHONE), ("email", I.EMAIL)],
}
LINKING = {t for t in IDENTITY_COLUMNS if t != "shop_orders"}

PSEUDO_STORE = -1_000_000  # person code of a store's phone: PSEUDO_STORE - store index
PSEUDO_HOUSEHOLD = -(10**10)  # person code of a family tablet: PSEUDO_HOUSEHOLD - owner pid


def valid_rows(name: str, t: dict, until_ms: int) -> np.ndarray:
    """Indices of the rows that count for identity: delivered, not junk, latest valid version."""
    ok = (t["_junk"] == 0) & (t["_arr"] < until_ms)
    idx = np.flatnonzero(ok)
    if name in VERSIONED and len(idx):
        order = np.lexsort((t["upd_ms"][idx], t["_key"][idx]))
        idx = idx[order]
        idx = idx[last_in_groups(t["_key"][idx])]
    return idx


def chunk_identity(tables: dict, until_ms: int, shared_nodes: np.ndarray, shared_owner: np.ndarray,
                   store_phones: np.ndarray) -> dict[str, np.ndarray]:
    """Identifiers of valid delivered rows with their true person and reachable component."""
    nodes, actors, ea, eb = [], [], [], []
    store_nodes = I.node(I.PHONE, store_phones)
    rows = {}
    for name in IDENTITY_COLUMNS:
        if name in tables:
            idx = valid_rows(name, tables[name], until_ms)
            if name == "app_events" and len(idx):
                # identifiers of an event are those of its client (and the account once logged in)
                t = tables[name]
                _, first = np.unique(t["_cl"][idx].astype(np.int64) * 2 + (t["account"][idx] >= 0), return_index=True)
                idx = idx[np.sort(first)]
            rows[name] = idx
    # a family tablet (and its anonymous id) is shared once both people used it in valid rows
    tablet = np.zeros(0, np.int64)
    if "app_events" in rows and len(shared_nodes):
        t, idx = tables["app_events"], rows["app_events"]
        pairs = [np.stack([I.node(kind, t[col][idx]), t["_actor"][idx]], 1)
                 for col, kind in (("device", I.DEVICE), ("anon", I.ANON))]
        pairs = np.concatenate(pairs)
        pairs = np.unique(pairs[np.isin(pairs[:, 0], shared_nodes)], axis=0)
        u, cnt = np.unique(pairs[:, 0], return_counts=True)
        tablet = u[cnt >= 2]
    no_bridge = np.concatenate([tablet, store_nodes])
    for name, cols in IDENTITY_COLUMNS.items():
        if name not in rows or not len(rows[name]):
            continue
        t, idx = tables[name], rows[name]
        actor = t["_actor"][idx]
        hub = np.full(len(idx), -1, np.int64)
        row_nodes = []
        for col, kind in cols:
            v = t[col][idx]
            real = I.is_real(kind, v)
            nd = np.where(real, I.node(kind, np.maximum(v, 0)), -1)
            row_nodes.append(nd)
            nodes.append(nd[real])
            actors.append(actor[real])
        if name in LINKING:
            for nd in row_nodes:
                has = (nd >= 0) & ~np.isin(nd, no_bridge)  # shared identifiers never bridge
                link = has & (hub >= 0)
                ea.append(hub[link])
                eb.append(nd[link])
                hub = np.where((hub < 0) & has, nd, hub)
    if not nodes:
        empty = np.zeros(0, np.int64)
        return {"node": empty, "person": empty, "comp": empty, "shared": np.zeros(0, bool),
                "conflicts": np.int64(0)}
    all_nodes = np.concatenate(nodes)
    all_actors = np.concatenate(actors)
    uniq, first = np.unique(all_nodes, return_index=True)
    person = all_actors[first].astype(np.int64)
    shared = np.isin(uniq, tablet) | np.isin(uniq, store_nodes)
    is_tab = np.isin(uniq, tablet)
    if is_tab.any():
        person[is_tab] = PSEUDO_HOUSEHOLD - shared_owner[np.searchsorted(shared_nodes, uniq[is_tab])]
    is_store = np.isin(uniq, store_nodes)
    if is_store.any():
        order = np.argsort(store_nodes)
        sp = order[np.searchsorted(store_nodes[order], uniq[is_store])]
        person[is_store] = PSEUDO_STORE - sp
    a = np.concatenate(ea) if ea else np.zeros(0, np.int64)
    b = np.concatenate(eb) if eb else np.zeros(0, np.int64)
    keep = ~(np.isin(a, uniq[shared]) | np.isin(b, uniq[shared])) & (a != b)
    ia = np.searchsorted(uniq, a[keep])
    ib = np.searchsorted(uniq, b[keep])
    n = len(uniq)
    g = coo_matrix((np.ones(len(ia), np.int8), (ia, ib)), shape=(n, n)).tocsr()
    _, comp = connected_components(g, directed=False)
    # a conflict check: non-shared nodes whose rows name more than one person
    conflict_nodes = _conflicts(all_nodes, all_actors, uniq[~shared])
    return {"node": uniq, "person": person, "comp": comp.astype(np.int64), "shared": shared,
            "conflicts": np.int64(conflict_nodes)}


def _conflicts(nodes: np.ndarray, actors: np.ndarray, check: np.ndarray) -> int:
    """Number of identifiers in `check` whose rows name more than one true person."""
    order = np.lexsort((actors, nodes))
    n_s, a_s = nodes[order], actors[order]
    start = np.flatnonzero(np.r_[True, n_s[1:] != n_s[:-1]])
    if not len(start):
        return 0
    lo = a_s[start]
    hi = a_s[np.r_[start[1:], len(n_s)] - 1]
    bad = n_s[start][lo != hi]
    return int(np.isin(bad, check).sum())


def person_key_sql(col: str) -> str:
    """SQL turning a person code into person_key text (`P0001234`, `store:S0001`, `household:P...`)."""
    return (f"CASE WHEN {col} >= 0 THEN 'P' || lpad(CAST({col} AS VARCHAR), 7, '0') "
            f"WHEN {col} > {PSEUDO_STORE - 100000} THEN 'store:S' || lpad(CAST({PSEUDO_STORE} - {col} + 1 AS VARCHAR), 4, '0') "
            f"ELSE 'household:P' || lpad(CAST({PSEUDO_HOUSEHOLD} - {col} AS VARCHAR), 7, '0') END")


def day_of(ms: np.ndarray) -> np.ndarray:
    return np.floor_divide(ms, C.DAY_MS)
