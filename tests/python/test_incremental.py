"""Incremental builds equal a full rebuild, row for row.

The tiny dataset arrives the way a nightly export does: everything received up to
D = as-of − 7 first, then one more day per run (`portrait generate --until D+k`),
with one day's run repeated. The first night is `portrait run` (a full build,
published); the nights between run every partitioned incremental model (staged events
and orders, sessions, session-day rollups); the last night is `portrait run` again: an
incremental build of everything that must pass the quality gate against the first
night's publication and publish. A full refresh on the same files must give the same
rows in every staging model, in the incremental and person-level intermediate models and
in the person map and profile marts (an order-independent hash per table). Between
nights only the incremental models carry state, so building the rest on the last night
yields what nightly full builds would (the prediction fits of the first night are a week
old on the last and so are refitted: `portrait__refit_after_days` is 7);
history tables (snapshots, fct_identity_changes, fct_model_runs) differ by design and
are not compared.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from portrait.dbt import run_dbt
from portrait.generate import generate
from portrait.generate import config as C
from warehouse_fixtures import portrait, warehouse_env

# every partitioned incremental model (staged events and orders, sessions, session-day
# rollups) and the views and models upstream of them
INCREMENTAL = ["+tag:partitioned"]
DERIVED_INCREMENTAL = ["int_events_sessionized", "int_session_daily_activity", "int_session_daily_interests"]
COMPARED_MARTS = [
    *(f"intermediate.{name}" for name in DERIVED_INCREMENTAL),
    "intermediate.int_sessions_persons_attached", "intermediate.int_person_daily_activity",
    "intermediate.int_person_daily_interests", "intermediate.int_person_daily_orders",
    "intermediate.int_person_metrics",
    "intermediate.int_identity__person_map", "marts.dim_person", "marts.fct_person_tags",
    "marts.fct_person_segments", "marts.agg_segment_summary",
    # activation: triggers recomputed over the history (a night equals a full refresh,
    # time-only triggers included), audiences and their members
    "marts.fct_trigger_firings", "marts.fct_person_metrics", "marts.fct_audience_members",
]


# the last night's as-of date: the day after the last data (C.AS_OF_DATE)
LAST_AS_OF = C.AS_OF_DATE + dt.timedelta(days=1)


def _fingerprints(db: Path, relations: list[str]) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r: tuple(con.execute(f"select count(*), sum(hash(x)::hugeint) from {r} as x").fetchall()[0])
                for r in relations}


def _staging_relations(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select schema_name || '.' || table_name from duckdb_tables() where schema_name = 'staging' "
                           "union all select schema_name || '.' || view_name from duckdb_views() "
                           "where schema_name = 'staging' order by 1").fetchall()
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def nightly_increments(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    data = root / "data"
    start = C.AS_OF_DATE - dt.timedelta(days=7)
    generate("tiny", 42, data, until=start, progress=False)
    env = warehouse_env(data / "raw", data / "truth", root / "incremental")

    def dbt(*args: str, environment: dict[str, str] = env, work: str = "incremental") -> None:
        run_dbt(list(args), env=environment, work_dir=root / work, capture=True)

    def nightly_job(*args: str) -> dict:
        """`portrait run`, as the scheduler calls it: build, quality gate, publish."""
        work = {"DBT_TARGET_PATH": str(root / "incremental" / "target"),
                "DBT_LOG_PATH": str(root / "incremental" / "logs")}
        result = portrait(["run", "--json", *args], {**env, **work})
        assert result.returncode == 0, result.stderr[-5000:]
        return json.loads(result.stdout)

    first = nightly_job()  # the first night: a full build, published
    nights = [start + dt.timedelta(days=k) for k in range(1, 8)]
    for number, night in enumerate(nights[:-1]):
        generate("tiny", 42, data, until=night, progress=False)
        dbt("run", "-s", *INCREMENTAL)
        if number == 2:  # the same night run again: nothing may change
            dbt("run", "-s", *INCREMENTAL)
    # the last night through the nightly job: an incremental build of everything, validated
    # against the first night's publication (a week of growth) and published. Its as-of date
    # is the day after the data (a day without new data, as a scheduler passing the date
    # sees it): time-only triggers must fire on it too. (More such days in a row raise the
    # null rates of 7-day metrics past the quality gate's tolerance, as a missing export would.)
    generate("tiny", 42, data, until=nights[-1], progress=False)
    last = nightly_job("--as-of", LAST_AS_OF.isoformat())
    assert (first["status"], last["status"]) == ("published", "published")
    assert last["validation"]["success"], last["validation"]
    assert last["validation"]["previous_run_id"] == first["run_id"]
    with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:  # the weekly refit (portrait.refit)
        reasons = {model: con.execute(f"select fit_reason from intermediate.int_predictions__{model}_model").fetchone()[0]
                   for model in ("persona", "ltv", "churn")}
    assert set(reasons.values()) == {"earlier fit 8 days old (refit after 7)"}, reasons
    incremental_db = Path(env["PORTRAIT_DB"])

    full_env = warehouse_env(data / "raw", data / "truth", root / "full")
    dbt("build", "--full-refresh", "--vars", json.dumps({"portrait__as_of_date": LAST_AS_OF.isoformat()}),
        environment=full_env, work="full")
    return incremental_db, Path(full_env["PORTRAIT_DB"])


def test_incremental_runs_equal_a_full_refresh_row_for_row(nightly_increments: tuple[Path, Path]) -> None:
    incremental_db, full_db = nightly_increments
    relations = _staging_relations(full_db)
    assert "staging.base_app__events" in relations and "staging.stg_quarantine__rows" in relations
    assert _staging_relations(incremental_db) == relations
    incremental = _fingerprints(incremental_db, relations + COMPARED_MARTS)
    full = _fingerprints(full_db, relations + COMPARED_MARTS)
    different = {r: (incremental[r], full[r]) for r in full if incremental[r] != full[r]}
    assert not different
    assert all(full[r][0] > 0 for r in COMPARED_MARTS)


def test_time_only_triggers_fire_on_days_without_new_data(nightly_increments: tuple[Path, Path]) -> None:
    """The last night's as-of date is the day after the data: the triggers that wait for
    time (silence, the first-order follow-up, the birthday month, a cart add's hours running
    out) fire on it, the ones that need new events do not. The firings equal a full
    refresh's (test above)."""
    incremental_db, _ = nightly_increments
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        after_data = dict(con.execute(
            "select triggers.kind, count(*) from marts.fct_trigger_firings as firings "
            "inner join marts.dim_trigger as triggers using (trigger_code) "
            "where firings.fired_date > ? group by 1", [C.AS_OF_DATE]).fetchall())
        as_of = con.execute("select max(as_of_date) from marts.fct_trigger_firings").fetchall()[0][0]
    assert as_of == LAST_AS_OF
    assert "count" not in after_data  # no new events, no count-based firing
    assert {"silence", "days_after_first_purchase", "birthday_month"} <= set(after_data), after_data


def test_the_incremental_models_really_ran_incrementally(nightly_increments: tuple[Path, Path]) -> None:
    """The last night's SQL took the incremental path (base models: new rows, then
    delete+insert by raw position; sessions and rollups: changed keys, replaced from their
    first changed day), and the tables hold rows of every night's file."""
    incremental_db, _ = nightly_increments
    target = incremental_db.parent.parent / "incremental" / "target"
    for table, folder in (("base_app__events", "app"), ("base_shop__orders", "shop")):
        path = Path("portrait", "models", "staging", folder, "base", f"{table}.sql")
        assert "incremental_new_rows" in (target / "compiled" / path).read_text(), table
        executed = (target / "run" / path).read_text().lower()
        assert "delete from" in executed and "_partition_date" in executed, table
        with duckdb.connect(str(incremental_db), read_only=True) as con:
            files = con.execute(f"select count(distinct _source_file) from staging.{table}").fetchall()[0][0]
        assert files == 8, (table, files)
    for name in DERIVED_INCREMENTAL:
        path = Path("portrait", "models", "intermediate", "profile", f"{name}.sql")
        assert "incremental_replaced" in (target / "compiled" / path).read_text(), name
        executed = (target / "run" / path).read_text().lower()
        assert "delete from" in executed and "replaced_from" in executed, name
