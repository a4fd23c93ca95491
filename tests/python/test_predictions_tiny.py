"""Persona clustering, churn propensity and the model-run log on the warehouse (tiny
dataset): every person has one value per predictive scheme and tag, the evaluations beat
their baselines, `fct_model_runs` logs each fit, and fits are reused until they are due."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from warehouse_fixtures import Warehouse, portrait


def _eval(warehouse: Warehouse, truth: Path, what: str) -> dict:
    env = {**os.environ, **warehouse.env, "PORTRAIT_TRUTH_DIR": str(truth)}
    result = subprocess.run([sys.executable, "-m", "portrait", "eval", what, "--json"],
                            capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout)


def test_every_person_has_a_persona_and_the_summary_adds_up(tiny_warehouse: Warehouse) -> None:
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-3000:]
    with tiny_warehouse.connect() as con:
        persons = con.execute("select count(*) from intermediate.int_person_metrics").fetchone()[0]
        segment_rows = con.execute(
            "select count(*), count(distinct person_id), count(segment_name_zh), count(segment_name_en) "
            "from marts.fct_person_segments where scheme = 'persona'").fetchone()
        tagged = con.execute("select count(*) from marts.fct_person_tags where tag_code = 'persona'").fetchone()[0]
        eligible_unscored = con.execute("""
            select count(*) from intermediate.int_predictions__persona
            inner join intermediate.int_persona__features using (person_id)
            where is_eligible = (persona_code = 'unscored')""").fetchone()[0]
        summary = con.execute("select sum(persons), sum(share), count(*) from marts.agg_persona_summary").fetchone()
        k = con.execute("select k from intermediate.int_predictions__persona_model").fetchone()[0]
        names = con.execute("select count(distinct persona_name_zh), count(distinct persona_name_en) "
                            "from marts.dim_person where persona_segment <> 'unscored'").fetchone()
    assert segment_rows == (persons, persons, persons, persons)
    assert tagged == persons
    assert eligible_unscored == 0  # eligible ⇔ profiled
    assert summary[0] == persons and abs(summary[1] - 1) < 1e-9 and summary[2] == k + 1
    assert names == (k, k)


def test_eval_clusters_beats_rfm_only_kmeans(tiny_warehouse: Warehouse, tiny_dataset: Path) -> None:
    scores = _eval(tiny_warehouse, tiny_dataset / "truth", "clusters")
    assert {"ari", "k", "baseline_ari"} <= set(scores)
    assert scores["status"] == "fitted" and 3 <= scores["k"] <= 10
    assert scores["ari"] > scores["baseline_ari"] + 0.1


def test_every_buyer_has_a_churn_risk_and_others_are_unscored(tiny_warehouse: Warehouse) -> None:
    with tiny_warehouse.connect() as con:
        persons = con.execute("select count(*) from marts.dim_person").fetchone()[0]
        score_rows = con.execute("select count(*) from intermediate.int_churn__snapshots "
                                 "where snapshot_role = 'score'").fetchone()[0]
        buyers_unscored = con.execute("select count(*) from marts.dim_person "
                                      "where orders_lifetime > 0 and churn_risk_band = 'unscored'").fetchone()[0]
        bands = dict(con.execute("select churn_risk_band, count(*) from marts.dim_person group by all").fetchall())
        tagged = con.execute("select count(*) from marts.fct_person_tags where tag_code = 'churn_risk_band'").fetchone()[0]
        # features read only days up to their snapshot, labels only the 90 days after it
        leaks = con.execute("""
            select count(*) from intermediate.int_churn__snapshots as snapshots
            cross join intermediate.int_profile__as_of_date as as_of
            where (snapshot_role = 'score') <> (snapshot_date = as_of.as_of_date)
               or (snapshot_role = 'train') <> (snapshot_date = as_of.as_of_date - 90)
               or (snapshot_role = 'holdout_train') <> (snapshot_date = as_of.as_of_date - 180)
               or (snapshot_role = 'score') <> (is_churned is null)""").fetchone()[0]
    assert buyers_unscored == 0
    assert sum(n for band, n in bands.items() if band != "unscored") == score_rows
    assert bands["unscored"] == persons - score_rows
    assert set(bands) == {"high", "medium", "low", "unscored"}
    assert tagged == persons
    assert leaks == 0


def test_eval_churn_beats_recency_alone(tiny_warehouse: Warehouse, tiny_dataset: Path) -> None:
    scores = _eval(tiny_warehouse, tiny_dataset / "truth", "churn")
    assert {"auc_holdout", "auc_future_truth", "baseline_auc_recency"} <= set(scores)
    assert scores["auc_future_truth"] > scores["baseline_auc_recency"]
    assert scores["auc_future_truth"] > 0.75 and scores["auc_holdout"] > 0.75


def test_model_runs_log_each_fit(tiny_warehouse: Warehouse) -> None:
    with tiny_warehouse.connect() as con:
        runs = con.execute("select model_name, status, metrics, fitted_rows, scored_rows from marts.fct_model_runs "
                           "order by model_name").fetchall()
        scored = {
            "persona": con.execute("select count(*) from intermediate.int_predictions__persona "
                                   "where persona_code <> 'unscored'").fetchone()[0],
            "ltv": con.execute("select count(*) from intermediate.int_predictions__ltv").fetchone()[0],
            "churn": con.execute("select count(*) from intermediate.int_predictions__churn").fetchone()[0],
        }
    assert [run[0] for run in runs] == ["churn", "ltv", "persona"]
    assert all(run[1] == "fitted" for run in runs)
    metrics = {run[0]: json.loads(run[2]) for run in runs}
    assert {"auc_holdout", "baseline_auc_recency_holdout", "train_rows"} <= set(metrics["churn"])
    assert {"r", "alpha", "a", "b", "p", "q", "v", "loglik_bgnbd"} <= set(metrics["ltv"])
    assert metrics["ltv"]["backtest_days"] == 180 and metrics["ltv"]["backtest_spearman"] > 0.3
    assert {"k", "stability_by_k"} <= set(metrics["persona"])
    assert {run[0]: run[4] for run in runs} == scored


def test_too_thin_to_fit_still_builds_and_says_so(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    """As of the tenth day of history (a shop just opened): no model can be fitted. The
    build still passes every test, `portrait build` and `fct_model_runs` say why, and
    every person is `unscored` rather than given an invented prediction."""
    db = tmp_path / "thin.duckdb"
    db.write_bytes(tiny_warehouse.db.read_bytes())
    env = {**os.environ, **tiny_warehouse.env, "PORTRAIT_DB": str(db),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    result = subprocess.run(
        [sys.executable, "-m", "portrait", "build", "-s", "int_profile__as_of_date+",
         "--exclude", "resource_type:snapshot", "--vars", '{portrait__as_of_date: "2024-01-10"}'],
        capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    for model in ("persona", "ltv", "churn"):
        assert f"{model}: NOT FITTED, data too thin" in result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        statuses = dict(con.execute("select model_name, status from marts.fct_model_runs "
                                    "where as_of_date = date '2024-01-10'").fetchall())
        reasons = {row[0] for row in con.execute("select fit_reason from marts.fct_model_runs "
                                                 "where as_of_date = date '2024-01-10'").fetchall()}
        values = con.execute("select distinct persona_segment, ltv_tier, churn_risk_band from marts.dim_person").fetchall()
        tags = con.execute("select distinct tag_value from marts.fct_person_tags "
                           "where tag_code in ('persona', 'ltv_tier', 'churn_risk_band')").fetchall()
    assert statuses == {"persona": "too_thin", "ltv": "too_thin", "churn": "too_thin"}
    assert reasons == {f"as-of date moved back {(dt.date(2026, 6, 30) - dt.date(2024, 1, 10)).days} days"}
    assert values == [("unscored", "unscored", "unscored")]
    assert tags == [("unscored",)]


FIT_MODELS = ["int_predictions__persona_model", "int_predictions__ltv_model", "int_predictions__churn_model"]


def _fits(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(f"select count(*), max(fitted_at), max(as_of_date)::date::varchar, max(fit_reason) "
                                  f"from intermediate.{name}").fetchone()
                for name in FIT_MODELS}


def test_a_current_fit_is_reused_and_an_old_one_refitted(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    """The nightly schedule of `portrait.refit`: a build within `portrait__refit_after_days`
    (7) of the fit scores with the stored fit and logs no new run; a week later, or on
    `--full-refresh`, the model is fitted again and says why."""
    db = tmp_path / "refit.duckdb"
    db.write_bytes(tiny_warehouse.db.read_bytes())
    env = {**tiny_warehouse.env, "PORTRAIT_DB": str(db),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    before = _fits(db)
    assert all(fit[0] == 1 and fit[3] == "no earlier fit" for fit in before.values()), before
    as_of = dt.date.fromisoformat(before["int_predictions__persona_model"][2])
    with duckdb.connect(str(db), read_only=True) as con:
        runs_before = con.execute("select count(*) from marts.fct_model_runs").fetchone()[0]

    def dbt_run(*args: str, as_of_date: dt.date) -> None:
        result = portrait(["build", "-s", "int_profile__as_of_date", *args,
                           "--vars", f'{{portrait__as_of_date: "{as_of_date}"}}'], env)
        assert result.returncode == 0, result.stdout[-3000:]

    # three days later: every fit is reused, predictions are scored again, nothing new is logged
    scoring = ["int_predictions__persona", "int_predictions__ltv", "int_predictions__churn", "fct_model_runs"]
    dbt_run(*FIT_MODELS, *scoring, as_of_date=as_of + dt.timedelta(days=3))
    assert _fits(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_model_runs").fetchone()[0] == runs_before
        assert con.execute("select count(*) from intermediate.int_predictions__ltv").fetchone()[0] > 0

    # a week after the fit: refitted, as of the new date, and logged with its reason
    week_later = as_of + dt.timedelta(days=7)
    dbt_run("int_predictions__persona_model", "fct_model_runs", as_of_date=week_later)
    persona = _fits(db)["int_predictions__persona_model"]
    assert persona[0] == 1 and persona[1] > before["int_predictions__persona_model"][1]
    assert persona[2:] == (str(week_later), "earlier fit 7 days old (refit after 7)")
    with duckdb.connect(str(db), read_only=True) as con:
        logged = con.execute("select as_of_date::varchar, fit_reason from marts.fct_model_runs "
                             "where model_name = 'persona' order by run_at desc limit 1").fetchone()
    assert logged == (str(week_later), "earlier fit 7 days old (refit after 7)")

    # --full-refresh always refits
    dbt_run("int_predictions__persona_model", "--full-refresh", as_of_date=week_later)
    refreshed = _fits(db)["int_predictions__persona_model"]
    assert refreshed[1] > persona[1] and refreshed[3] == "no earlier fit"
