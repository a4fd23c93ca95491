"""Time the three prediction models' Python steps at `large` size without building `large`.

Reads the models' inputs from a built warehouse (default: the demo's `small`), replicates
every person `--factor` times (new person ids, values jittered by ±1 %) and times the fit
and scoring functions the dbt Python models call, one after another on one process, with
peak RSS. `small` × 20 ≈ `large` (1.3M persons). Usage:

    .venv/bin/python bench/predictions_scale.py [--db warehouse/portrait.duckdb] [--factor 20]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd


def _replicate(frame: pd.DataFrame, factor: int, seed: int, keep_int: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for copy in range(factor):
        part = frame.copy()
        part["person_id"] = part["person_id"] + f"_{copy:02d}"
        for name in part.columns:
            if name in keep_int or not pd.api.types.is_float_dtype(part[name]):
                continue
            part[name] = part[name] * np.exp(rng.normal(0, 0.01, len(part)))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("warehouse/portrait.duckdb"))
    parser.add_argument("--factor", type=int, default=20)
    args = parser.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    features = con.execute("select * from intermediate.int_persona__features").df()
    snapshots = con.execute("select * from intermediate.int_churn__snapshots").df()
    summary = con.execute("select * from intermediate.int_ltv__purchase_summary").df()
    con.close()
    features = _replicate(features, args.factor, 1)
    snapshots = _replicate(snapshots, args.factor, 2)
    summary = _replicate(summary, args.factor, 3)
    summary["recency_weeks"] = np.minimum(summary["recency_weeks"], summary["t_weeks"])
    timings: dict[str, float] = {}

    def timed(name, function, *a, **k):
        start = time.perf_counter()
        value = function(*a, **k)
        timings[name] = round(time.perf_counter() - start, 1)
        print(f"  {name:<16} {timings[name]:>7.1f} s   peak RSS {_peak_gb():.2f} GB", flush=True)
        return value

    print(f"{len(features):,} persons, {len(summary):,} buyers, {len(snapshots):,} churn rows "
          f"({args.factor} × {args.db})", flush=True)
    from portrait.churn.model import fit_churn, score_churn
    from portrait.ltv.score import fit_ltv, score_customers
    from portrait.persona.clustering import assign_personas, fit_personas

    model = timed("persona fit", fit_personas, features, k_min=3, k_max=10, min_stability=0.9, seed=42)
    timed("persona assign", assign_personas, features, model)
    fit = timed("ltv fit", fit_ltv, summary)
    timed("ltv score", score_customers, summary, 0.01, {"high": 0.2, "medium": 0.5}, fit=fit)
    churn = timed("churn fit", fit_churn, snapshots, seed=42)
    timed("churn score", score_churn, snapshots, churn.estimator, {"high": 0.7, "medium": 0.4})
    result = {"persons": len(features), "buyers": len(summary), "churn_rows": len(snapshots),
              "seconds": timings, "total_seconds": round(sum(timings.values()), 1),
              "peak_rss_gb": round(_peak_gb(), 2), "persona_k": model.k}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
