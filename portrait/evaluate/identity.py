"""`portrait eval identity`: OneID against the ground truth.

Joined on (`identifier_type`, `identifier_value`); `is_shared` identifiers are left out
of the pair counts. Pairwise precision: of the pairs the model put in one person, the
share with one `person_key`. Pairwise recall: of the pairs sharing a `reachable_key`
(the links the valid raw rows actually make), the share the model put in one person.
B-cubed F1 with precision against `person_key` and recall against `reachable_key`.
The same figures for plain connected components without guards are the baseline.
Persons who asked to be erased (`erasure_requested` in the truth's persons) are left out:
the warehouse holds none of their identifiers, by design.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from portrait.db import first_row, scalar
import numpy as np
import pyarrow as pa

from portrait.identity.graph import component_labels

_PAIRS = "sum(n * (n - 1) / 2)"


def _scores(con: duckdb.DuckDBPyConnection, assigned: str) -> dict[str, float]:
    """Scores of the assignment in relation `assigned` (identifier_type, identifier_value, cluster)."""
    con.execute(f"""
        create or replace temp table scored as
        select truth.identifier_type, truth.identifier_value, truth.person_key, truth.reachable_key,
               coalesce(a.cluster, 'missing:' || truth.identifier_type || ':' || truth.identifier_value) as cluster
        from truth left join {assigned} a using (identifier_type, identifier_value)
        where not truth.is_shared
    """)
    q = lambda sql: scalar(con, sql) or 0  # noqa: E731
    predicted_pairs = q(f"select {_PAIRS} from (select count(*) n from scored group by cluster)")
    true_pairs_in_predicted = q(f"select {_PAIRS} from (select count(*) n from scored group by cluster, person_key)")
    reachable_pairs = q(f"select {_PAIRS} from (select count(*) n from scored group by reachable_key)")
    reachable_pairs_found = q(f"select {_PAIRS} from (select count(*) n from scored group by cluster, reachable_key)")
    bcubed = first_row(con, """
        with sizes as (
            select *,
                count(*) over (partition by cluster) as cluster_size,
                count(*) over (partition by cluster, person_key) as cluster_and_person,
                count(*) over (partition by reachable_key) as reachable_size,
                count(*) over (partition by cluster, reachable_key) as cluster_and_reachable
            from scored
        )
        select avg(cluster_and_person / cluster_size), avg(cluster_and_reachable / reachable_size) from sizes
    """)
    precision = true_pairs_in_predicted / predicted_pairs if predicted_pairs else 1.0
    recall = reachable_pairs_found / reachable_pairs if reachable_pairs else 1.0
    bp, br = bcubed if bcubed[0] is not None else (1.0, 1.0)
    return {
        "precision": round(float(precision), 6),
        "recall": round(float(recall), 6),
        "bcubed_precision": round(float(bp), 6),
        "bcubed_recall": round(float(br), 6),
        "bcubed_f1": round(float(2 * bp * br / (bp + br)) if bp + br else 0.0, 6),
    }


def _baseline_assignment(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Plain connected components over every observed edge: no placeholder, cap or conflict guard."""
    con.execute("""create or replace temp table ids as
                   select row_number() over (order by identifier_type, identifier_value) - 1 as i,
                          identifier_type, identifier_value
                   from intermediate.int_identity__identifiers""")
    edges = con.sql("""
        select a.i as a, b.i as b
        from intermediate.int_identity__candidate_edges e
        join ids a on a.identifier_type = e.identifier_type_a and a.identifier_value = e.identifier_value_a
        join ids b on b.identifier_type = e.identifier_type_b and b.identifier_value = e.identifier_value_b
        where e.rule != 'steward_merge'
    """).fetchnumpy()
    n = scalar(con, "select count(*) from ids")
    labels = component_labels(edges["a"].astype(np.int64), edges["b"].astype(np.int64), n)
    ids = con.sql("select identifier_type, identifier_value from ids order by i").to_arrow_table()
    return ids.append_column("cluster", pa.array(labels.astype(str)))


def evaluate_identity(db_path: Path, truth_dir: Path) -> dict:
    truth_file = Path(truth_dir) / "identity.parquet"
    if not truth_file.exists():
        raise SystemExit(f"portrait eval identity: no ground truth at {truth_file} "
                         "(set PORTRAIT_TRUTH_DIR; truth comes from `portrait generate`)")
    if not Path(db_path).exists():
        raise SystemExit(f"portrait eval identity: no warehouse at {db_path}: build it first (`make demo`)")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        # Persons who asked to be erased are gone from the warehouse by design (README,
        # "Privacy"): their identifiers are not scored.
        persons_file = Path(truth_dir) / "persons.parquet"
        erased = (f"where person_key not in (select person_key from read_parquet('{persons_file}') "
                  "where erasure_requested)") if persons_file.exists() else ""
        con.execute(f"create temp table truth as select * from read_parquet('{truth_file}') {erased}")
        con.execute("""create temp table model_assignment as
                       select identifier_type, identifier_value, person_id as cluster
                       from intermediate.int_identity__person_map""")
        result = _scores(con, "model_assignment")
        baseline = _baseline_assignment(con)
        con.register("baseline_assignment", baseline)
        base = _scores(con, "baseline_assignment")
        result.update({
            "persons": scalar(con, "select count(distinct person_id) from intermediate.int_identity__person_map"),
            "true_persons": scalar(con, "select count(distinct person_key) from truth where not is_shared"),
            "largest_person": scalar(con, "select max(n) from (select count(*) as n "
                                          "from intermediate.int_identity__person_map group by person_id)") or 0,
            "identifiers_in_truth": scalar(con, "select count(*) from truth"),
            "erased_persons_excluded": scalar(
                con, f"select count(*) from read_parquet('{persons_file}') where erasure_requested"
            ) if persons_file.exists() else 0,
            "identifiers_missing_from_model": scalar(
                con,
                "select count(*) from truth t anti join model_assignment m using (identifier_type, identifier_value)"
            ),
            "baseline": {
                **base,
                "persons": int(len(set(baseline["cluster"].to_pylist()))),
                "largest_person": int(max(np.unique(baseline["cluster"].to_numpy(zero_copy_only=False),
                                                    return_counts=True)[1], default=0)),
            },
        })
        return result
    finally:
        con.close()
