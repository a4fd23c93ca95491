"""`portrait eval churn`: churn propensity on a time-split holdout and against the truth.

`auc_holdout` is the model's own time-split check (fitted on the snapshot 180 days before
the as-of date, tested on the one 90 days before; `int_predictions__churn_model`).
`auc_future_truth`: the AUC of each scored buyer's churn probability against the
generator's `churned_90d` (no order in the 90 days after the as-of date) of the true
person behind it. `baseline_auc_recency`: the same with days since the last order alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from sklearn.metrics import roc_auc_score

from portrait.evaluate.truth import require_truth, true_person_ctes


def evaluate_churn(warehouse: Path, truth_dir: Path) -> dict:
    require_truth("eval churn", truth_dir, "identity.parquet", "future.parquet")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        status, metrics = con.execute("select status, metrics from intermediate.int_predictions__churn_model").fetchone()
        frame = con.execute(f"""
            with {true_person_ctes(truth_dir)}
            select
                churn.churn_probability,
                snapshots.days_since_last_order,
                future.churned_90d
            from intermediate.int_predictions__churn as churn
            inner join intermediate.int_churn__snapshots as snapshots
                on snapshots.person_id = churn.person_id and snapshots.snapshot_role = 'score'
            inner join true_person on true_person.person_id = churn.person_id
            inner join read_parquet('{truth_dir / "future.parquet"}') as future using (person_key)
        """).df()
    finally:
        con.close()
    metrics = json.loads(metrics)
    result = {"status": status, "auc_holdout": metrics.get("auc_holdout"),
              "baseline_auc_recency_holdout": metrics.get("baseline_auc_recency_holdout"),
              "scored_buyers": int(len(frame))}
    labels = frame["churned_90d"].astype(int)
    if status != "fitted" or labels.nunique() < 2:
        return {**result, "auc_future_truth": None, "baseline_auc_recency": None}
    return {**result,
            "auc_future_truth": round(float(roc_auc_score(labels, frame["churn_probability"])), 4),
            "baseline_auc_recency": round(float(roc_auc_score(labels, frame["days_since_last_order"])), 4),
            "churn_rate_truth": round(float(labels.mean()), 4)}
