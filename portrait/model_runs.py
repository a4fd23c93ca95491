"""What `portrait build` prints after a build: each Python model's latest run from
`fct_model_runs` — fitted, or too thin to fit (and so every prediction `unscored`)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb


def latest_runs(warehouse: Path) -> list[dict]:
    """Each model's latest run in `marts.fct_model_runs` (none if it does not exist)."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return []
    try:
        rows = con.execute("""
            select model_name, status, fitted_rows, scored_rows, unscored_persons, as_of_date, fit_reason, metrics
            from marts.fct_model_runs
            qualify row_number() over (partition by model_name order by run_at desc) = 1
            order by model_name
        """).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
    keys = ("model_name", "status", "fitted_rows", "scored_rows", "unscored_persons", "as_of_date", "fit_reason", "metrics")
    return [dict(zip(keys, row)) | {"metrics": json.loads(row[-1])} for row in rows]


def describe(run: dict) -> str:
    metrics = run["metrics"]
    if run["status"] != "fitted":
        return (f"{run['model_name']}: NOT FITTED, data too thin ({run['fitted_rows']} rows); "
                f"all {run['unscored_persons']} persons are `unscored`")
    detail = {
        "persona": lambda: f"k = {metrics.get('k')}, {run['scored_rows']} persons profiled",
        "ltv": lambda: f"{run['scored_rows']} buyers scored, r = {metrics.get('r', 0):.3f}, "
                       f"alpha = {metrics.get('alpha', 0):.3f}, a = {metrics.get('a', 0):.3f}, b = {metrics.get('b', 0):.3f}; "
                       f"{metrics.get('backtest_days')}-day backtest Spearman {metrics.get('backtest_spearman')} "
                       f"(past rate {metrics.get('backtest_baseline_spearman')})",
        "churn": lambda: f"{run['scored_rows']} buyers scored, holdout AUC {metrics.get('auc_holdout')} "
                         f"(recency alone {metrics.get('baseline_auc_recency_holdout')})",
    }.get(run["model_name"], lambda: f"{run['scored_rows']} scored")()
    return (f"{run['model_name']}: fitted as of {run['as_of_date']} ({run['fit_reason']}); {detail}; "
            f"{run['unscored_persons']} persons unscored")


def print_model_runs(warehouse: Path, command: str = "portrait build", stream=None) -> None:
    runs = latest_runs(warehouse)
    if runs:
        print(f"{command}: prediction models (marts.fct_model_runs):", file=stream)
        for run in runs:
            print(f"  {describe(run)}", file=stream)
