"""OneID on the tiny generated dataset, measured against its ground truth."""

from __future__ import annotations

from portrait.evaluate.identity import evaluate_identity
from portrait.identity.explain import explain
from warehouse_fixtures import Warehouse


def test_oneid_meets_its_targets_and_beats_plain_components(tiny_warehouse: Warehouse, tiny_dataset) -> None:
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-3000:]
    result = evaluate_identity(tiny_warehouse.db, tiny_dataset / "truth")
    assert result["precision"] >= 0.995
    assert result["recall"] >= 0.98
    assert result["identifiers_missing_from_model"] == 0
    baseline = result["baseline"]
    assert result["precision"] > baseline["precision"]
    assert result["bcubed_f1"] > baseline["bcubed_f1"]
    assert result["largest_person"] < baseline["largest_person"]
    for key in ("precision", "recall", "bcubed_f1", "persons", "true_persons", "largest_person"):
        assert key in result


def test_explain_answers_why_two_identifiers_are_one_person(tiny_warehouse: Warehouse) -> None:
    with tiny_warehouse.connect() as con:
        pair = con.execute("""
            select m1.identifier_type, m1.identifier_value, m2.identifier_type, m2.identifier_value
            from intermediate.int_identity__person_map as m1
            join intermediate.int_identity__person_map as m2 using (person_id)
            where m1.identifier_type = 'member_id' and m2.identifier_type = 'device_id'
            order by 2, 4 limit 1""").fetchall()[0]
    code, text = explain(str(tiny_warehouse.db), [f"{pair[0]}:{pair[1]}", f"{pair[2]}:{pair[3]}"])
    assert code == 0
    assert "ONE PERSON" in text and "used" in text and "DROPPED" not in text


def test_explain_names_the_guard_that_kept_two_identifiers_apart(tiny_warehouse: Warehouse) -> None:
    with tiny_warehouse.connect() as con:
        rows = con.execute("""
            select e1.identifier_type_a, e1.identifier_value_a, e2.identifier_type_a, e2.identifier_value_a
            from intermediate.int_identity__edges as e1
            join intermediate.int_identity__edges as e2
                on e1.identifier_type_b = e2.identifier_type_b and e1.identifier_value_b = e2.identifier_value_b
            where e1.drop_reason like 'degree_cap%' and e2.drop_reason like 'degree_cap%'
              and e1.identifier_value_a < e2.identifier_value_a
            order by 2, 4 limit 1""").fetchall()
    assert rows, "the tiny dataset has shared identifiers that hit a degree cap"
    a_type, a_value, b_type, b_value = rows[0]
    code, text = explain(str(tiny_warehouse.db), [f"{a_type}:{a_value}", f"{b_type}:{b_value}"])
    assert code == 0
    assert "TWO PERSONS" in text and "DROPPED (degree_cap" in text


def test_sql_node_numbers_match_the_python_numbering_and_components_match_python(tiny_warehouse: Warehouse) -> None:
    """`int_identity__nodes` numbers identifiers in SQL; the Python functions on identifier
    strings number them in Python (`node_numbers`). The two orders, and the components the
    dbt models wrote from the SQL numbers, must be the ones Python computes from strings."""
    import numpy as np

    from portrait.identity.graph import node_numbers, resolve_components

    with tiny_warehouse.connect() as con:
        nodes = con.sql("""
            select identifier_type, identifier_value, first_seen_at, node_id
            from intermediate.int_identity__nodes""").to_arrow_table()
        used = con.sql("""
            select identifier_type_a, identifier_value_a, identifier_type_b, identifier_value_b
            from intermediate.int_identity__edge_decisions where graph_drop_reason is null""").to_arrow_table()
        written = con.sql("""
            select identifier_type, identifier_value, component_type, component_value
            from intermediate.int_identity__components""").fetchall()
    assert nodes.num_rows > 1000 and len({r[0] for r in written}) >= 5
    assert nodes["first_seen_at"].null_count < nodes.num_rows
    np.testing.assert_array_equal(node_numbers(nodes), nodes["node_id"].to_numpy())
    python = resolve_components(nodes.drop_columns(["node_id"]), used)
    expected = set(zip(*(python[name].to_pylist() for name in
                         ("identifier_type", "identifier_value", "component_type", "component_value"))))
    assert set(written) == expected
    assert sum(1 for row in written if row[:2] != row[2:]) > 100  # merges happened
