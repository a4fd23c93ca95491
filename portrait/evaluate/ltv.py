"""`portrait eval ltv`: predicted vs realised purchases in the 365 days after the as-of date.

Each scored person is matched to the true person behind most of its identifiers (joined
on `identifier_type`, `identifier_value`; ties: the smaller key). Reported: the Spearman
rank correlation of the model's `expected_purchases_365d` with the truth's `orders_365d`,
and the same for the baseline — the past order rate (lifetime orders per day since the
first order) extrapolated over 365 days.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from scipy.stats import spearmanr

from portrait.evaluate.truth import require_truth, true_person_ctes


def evaluate_ltv(warehouse: Path, truth_dir: Path) -> dict[str, float]:
    require_truth("eval ltv", truth_dir, "identity.parquet", "future.parquet")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(f"""
            with {true_person_ctes(truth_dir)}
            select
                predictions.expected_purchases_365d,
                metrics.orders_lifetime * 365.0 / greatest(metrics.days_since_first_order + 1, 1) as baseline_rate,
                future.orders_365d
            from intermediate.int_predictions__ltv as predictions
            inner join intermediate.int_person_metrics as metrics using (person_id)
            inner join true_person using (person_id)
            inner join read_parquet('{truth_dir / "future.parquet"}') as future using (person_key)
        """).df()
    finally:
        con.close()
    if len(frame) < 10:
        raise SystemExit("portrait eval ltv: fewer than 10 scored buyers match the truth")
    model = spearmanr(frame["expected_purchases_365d"], frame["orders_365d"]).statistic
    baseline = spearmanr(frame["baseline_rate"], frame["orders_365d"]).statistic
    return {"spearman_orders_365d": round(float(model), 4), "baseline_spearman": round(float(baseline), 4),
            "scored_buyers": int(len(frame))}
