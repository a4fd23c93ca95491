"""Person ids need no stored state: a re-run gives the same ids, and a day of new data
changes the id of nobody it does not touch (a merge keeps the older id)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from portrait.dbt import run_dbt
from portrait.generate import AS_OF_DATE, generate
from warehouse_fixtures import Warehouse, build_warehouse

TINY_SEED = 42  # the seed of the shared tiny dataset (conftest)


def _person_map(db: Path) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select identifier_type, identifier_value, person_id "
                           "from intermediate.int_identity__person_map").fetchall()
    return {(t, v): p for t, v, p in rows}


def test_rerun_gives_identical_person_ids(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    assert tiny_warehouse.returncode == 0
    copy = tmp_path / "rerun.duckdb"
    shutil.copy(tiny_warehouse.db, copy)
    env = {**tiny_warehouse.env, "PORTRAIT_DB": str(copy)}
    run_dbt(["run", "--select", "int_identity__identifier_rows+", "--exclude", "resource_type:test"], env=env,
            work_dir=tmp_path, capture=True)
    assert _person_map(copy) == _person_map(tiny_warehouse.db)


@pytest.fixture(scope="module")
def day_before(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    out = tmp_path_factory.mktemp("tiny_day_before")
    generate("tiny", TINY_SEED, out, until=AS_OF_DATE - dt.timedelta(days=1), progress=False)
    return build_warehouse(out / "raw", out / "truth", out, ["--select", "+fct_identity_changes", "--indirect-selection", "cautious"])


def test_an_added_day_changes_no_untouched_person(day_before: Warehouse, tiny_warehouse: Warehouse) -> None:
    assert day_before.returncode == 0, day_before.output[-3000:]
    before, after = _person_map(day_before.db), _person_map(tiny_warehouse.db)
    assert set(before) <= set(after), "an identifier seen yesterday disappeared"
    members_before: dict[str, set] = {}
    for key, person in before.items():
        members_before.setdefault(person, set()).add(key)
    changed = 0
    for person, keys in members_before.items():
        new_ids = {after[k] for k in keys}
        if len(new_ids) > 1:
            changed += 1  # split by the new day's evidence: allowed, but must be rare
            continue
        (new_id,) = new_ids
        absorbed = {before.get(k) for k, p in after.items() if p == new_id} - {None}
        if absorbed == {person}:
            assert new_id == person, f"person {person} was not touched by the new day but changed id"
        else:
            # A merge: the surviving id is one of the merged persons' ids (the older one).
            assert new_id in absorbed
    assert changed <= max(1, len(members_before) // 1000)


def test_change_ledger_records_what_the_new_day_changed(day_before: Warehouse, tiny_warehouse: Warehouse,
                                                        tmp_path: Path) -> None:
    """Run the identity layer on yesterday's warehouse with today's data: the ledger's rows
    of the second run are exactly the person ids that appeared, merged away or split."""
    db = tmp_path / "two_runs.duckdb"
    shutil.copy(day_before.db, db)
    before = _person_map(db)
    env = {**tiny_warehouse.env, "PORTRAIT_DB": str(db)}
    run_dbt(["build", "--select", "+fct_identity_changes", "--indirect-selection", "cautious"], env=env,
            work_dir=tmp_path, capture=True)
    after = _person_map(db)
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("select distinct dbt_valid_from from snapshots.snap_identity__person_identifier "
                           "order by 1").fetchall()
        assert len(runs) == 2, "the day before and today are two snapshot runs"
        second = runs[1][0]
        ledger = con.execute("select old_person_id, new_person_id, change_kind from marts.fct_identity_changes "
                             "where changed_at = ?", [second]).fetchall()
    old_ids, new_ids = set(before.values()), set(after.values())
    merged_away = {old for old, _, kind in ledger if kind == "merge"}
    assert merged_away == old_ids - new_ids
    created = {new for _, new, kind in ledger if kind in ("new", "split")}
    assert created >= new_ids - old_ids
    assert all(kind in ("new", "merge", "split") for _, _, kind in ledger)
