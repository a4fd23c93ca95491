"""Connected components and representative identifiers, without dbt."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from portrait.identity.graph import component_labels, resolve_components


def _nodes(rows: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table({
        "identifier_type": [r[0] for r in rows],
        "identifier_value": [r[1] for r in rows],
        "first_seen_at": [dt.datetime.fromisoformat(r[2]) for r in rows],
    })


def _edges(rows: list[tuple[str, str, str, str]]) -> pa.Table:
    names = ["identifier_type_a", "identifier_value_a", "identifier_type_b", "identifier_value_b"]
    return pa.table({name: [r[i] for r in rows] for i, name in enumerate(names)}, schema=pa.schema(
        [(name, pa.string()) for name in names]))


def _groups(result: pa.Table) -> dict[tuple[str, str], tuple[str, str]]:
    rows = result.to_pylist()
    return {(r["identifier_type"], r["identifier_value"]): (r["component_type"], r["component_value"]) for r in rows}


def test_component_labels_finds_chains_and_singletons() -> None:
    labels = component_labels(np.array([0, 1, 3]), np.array([1, 2, 4]), 6)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4]
    assert len({labels[0], labels[3], labels[5]}) == 3


def test_representative_is_the_earliest_seen_identifier_and_survives_a_merge() -> None:
    nodes = _nodes([
        ("member_id", "M1", "2024-01-01 00:00:00"),
        ("phone", "13812345678", "2024-01-01 00:00:00"),
        ("device_id", "d-old", "2023-06-01 00:00:00"),
        ("account_id", "U9", "2025-01-01 00:00:00"),
    ])
    before = _groups(resolve_components(nodes, _edges([("member_id", "M1", "phone", "13812345678")])))
    # Same instant: the more durable type (member_id) names the person.
    assert before[("phone", "13812345678")] == ("member_id", "M1")
    assert before[("device_id", "d-old")] == ("device_id", "d-old")
    after = _groups(resolve_components(nodes, _edges([
        ("member_id", "M1", "phone", "13812345678"),
        ("phone", "13812345678", "device_id", "d-old"),
        ("device_id", "d-old", "account_id", "U9"),
    ])))
    # The older person (first seen 2023) keeps its id; everyone joins it.
    assert set(after.values()) == {("device_id", "d-old")}


def test_result_does_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(7)
    n = 200
    rows = [("device_id", f"d{i:03d}", f"2024-01-{1 + i % 28:02d} 00:00:00") for i in range(n)]
    pairs = rng.integers(0, n, size=(150, 2))
    edges = [("device_id", f"d{a:03d}", "device_id", f"d{b:03d}") for a, b in pairs]
    first = _groups(resolve_components(_nodes(rows), _edges(edges)))
    perm = rng.permutation(n)
    shuffled = _groups(resolve_components(_nodes([rows[i] for i in perm]), _edges(edges[::-1])))
    assert first == shuffled


def test_edge_to_an_unknown_node_is_an_error() -> None:
    nodes = _nodes([("phone", "13812345678", "2024-01-01 00:00:00")])
    try:
        resolve_components(nodes, _edges([("phone", "13812345678", "email", "a@b.cn")]))
    except ValueError as exc:
        assert "not among the nodes" in str(exc)
    else:  # pragma: no cover - the assertion below documents the failure
        raise AssertionError("expected a ValueError")


def test_conflict_rule_keeps_two_members_with_different_phones_apart() -> None:
    from portrait.identity.graph import apply_conflict_rule

    t = "2024-01-01 00:00:00"
    nodes = _nodes([
        ("member_id", "M1", t), ("phone", "13800000001", t), ("account_id", "U1", t),
        ("member_id", "M2", t), ("phone", "13800000002", t), ("account_id", "U2", t),
        ("device_id", "tablet", t), ("anonymous_id", "anon-t", t),
        ("device_id", "own-phone-of-1", t),
    ])
    edges = _edges([
        ("member_id", "M1", "phone", "13800000001"),
        ("account_id", "U1", "phone", "13800000001"),
        ("member_id", "M2", "phone", "13800000002"),
        ("account_id", "U2", "phone", "13800000002"),
        ("device_id", "tablet", "account_id", "U1"),       # family tablet: both log in
        ("device_id", "tablet", "account_id", "U2"),
        ("device_id", "tablet", "anonymous_id", "anon-t"),
        ("device_id", "own-phone-of-1", "account_id", "U1"),  # person 1's own phone
    ])
    anchors = pa.table({"identifier_type": ["member_id", "member_id"], "identifier_value": ["M1", "M2"],
                        "phone": ["13800000001", "13800000002"]})
    mask = apply_conflict_rule(nodes, edges, anchors)
    assert mask.tolist() == [True, True, True, True, False, False, True, True]
    groups = _groups(resolve_components(nodes, edges.filter(pa.array(mask))))
    assert groups[("member_id", "M1")] != groups[("member_id", "M2")]
    assert groups[("device_id", "own-phone-of-1")] == groups[("member_id", "M1")]
    assert groups[("anonymous_id", "anon-t")] == groups[("device_id", "tablet")]
    assert groups[("device_id", "tablet")] not in (groups[("member_id", "M1")], groups[("member_id", "M2")])


def test_conflict_rule_merges_freely_when_phones_agree() -> None:
    from portrait.identity.graph import apply_conflict_rule

    t = "2024-01-01 00:00:00"
    nodes = _nodes([("member_id", "M1", t), ("account_id", "U1", t), ("member_id", "M1b", t),
                    ("device_id", "d", t)])
    edges = _edges([("device_id", "d", "account_id", "U1"), ("device_id", "d", "member_id", "M1"),
                    ("device_id", "d", "member_id", "M1b")])
    anchors = pa.table({"identifier_type": ["member_id", "member_id"], "identifier_value": ["M1", "M1b"],
                        "phone": ["13800000001", "13800000001"]})
    assert apply_conflict_rule(nodes, edges, anchors).all()


def test_edge_verdicts_do_not_depend_on_edge_order() -> None:
    """The dbt model reads the edges in whatever order DuckDB returns them: the conflict
    rule and a steward split with two equally short paths (and a parallel edge from a
    second source) must give every edge the same verdict in any order."""
    from portrait.identity.graph import CONFLICT_REASON, SPLIT_REASON, decide_edges

    t = "2024-01-01 00:00:00"
    nodes = _nodes([
        ("member_id", "M1", t), ("phone", "13800000001", t), ("account_id", "U1", t),
        ("member_id", "M2", t), ("phone", "13800000002", t), ("account_id", "U2", t),
        ("device_id", "tablet", t), ("email", "x@y.cn", t), ("email", "z@y.cn", t), ("card_no", "C9", t),
    ])
    rows = [
        ("member_id", "M1", "phone", "13800000001", "crm", "member_phone"),
        ("account_id", "U1", "phone", "13800000001", "shop", "account_phone"),
        ("member_id", "M2", "phone", "13800000002", "crm", "member_phone"),
        ("account_id", "U2", "phone", "13800000002", "shop", "account_phone"),
        ("account_id", "U1", "device_id", "tablet", "app", "login_device"),
        ("account_id", "U2", "device_id", "tablet", "app", "login_device"),
        ("account_id", "U2", "device_id", "tablet", "web", "login_device"),   # parallel edge
        ("card_no", "C9", "email", "x@y.cn", "pos", "card_email"),            # C9 - x - M1 and C9 - z - M1
        ("email", "x@y.cn", "member_id", "M1", "crm", "member_email"),
        ("card_no", "C9", "email", "z@y.cn", "pos", "card_email"),
        ("email", "z@y.cn", "member_id", "M1", "crm", "member_email"),
        ("card_no", "C9", "member_id", "M2", "identity_overrides", "steward_merge"),
    ]
    names = ["identifier_type_a", "identifier_value_a", "identifier_type_b", "identifier_value_b", "source_table",
             "rule"]
    anchors = pa.table({"identifier_type": ["member_id", "member_id"], "identifier_value": ["M1", "M2"],
                        "phone": ["13800000001", "13800000002"]})
    splits = pa.table({"identifier_type_a": ["card_no"], "identifier_value_a": ["C9"],
                       "identifier_type_b": ["member_id"], "identifier_value_b": ["M1"]})

    def verdicts(order: list[int]) -> dict[tuple, str | None]:
        table = pa.table({name: [rows[i][k] for i in order] for k, name in enumerate(names)})
        reasons = decide_edges(nodes, table, anchors, splits).to_pylist()
        return {rows[i]: reason for i, reason in zip(order, reasons)}

    first = verdicts(list(range(len(rows))))
    assert sum(reason == CONFLICT_REASON for reason in first.values()) == 3
    assert sum(reason == SPLIT_REASON for reason in first.values()) == 2
    rng = np.random.default_rng(3)
    for _ in range(5):
        assert verdicts(list(rng.permutation(len(rows)))) == first


def test_splits_apply_in_list_order() -> None:
    """A - B - C with splits (A, B) and (A, C): in that order the first cuts A off and the
    second finds nothing left to cut; the other way round B - C goes first."""
    from portrait.identity.graph import SPLIT_REASON, edge_drop_reasons

    a, b = np.array([0, 1]), np.array([1, 2])
    no_merge, not_weak, none = np.zeros(2, dtype=bool), np.zeros(3, dtype=bool), np.zeros(0, dtype=np.int64)
    first = edge_drop_reasons(3, a, b, no_merge, not_weak, none, none, [(0, 1), (0, 2)])
    second = edge_drop_reasons(3, a, b, no_merge, not_weak, none, none, [(0, 2), (0, 1)])
    assert list(first) == [SPLIT_REASON, None]
    assert list(second) == [SPLIT_REASON, SPLIT_REASON]
