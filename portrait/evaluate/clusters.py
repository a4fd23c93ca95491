"""`portrait eval clusters`: personas against the generator's latent personas.

Reported over the persons the model profiles (not `unscored`) that match a true person:
the adjusted Rand index between their persona and the true person's persona (`ari`), the
model's `k`, and the same index for a baseline — k-means with the same k and seed on the
three RFM quintile scores alone (0 for non-buyers) — over the same persons
(`baseline_ari`). Also: the share of persons profiled (`scored_share`), and the index
over every matched person with `unscored` as one more group (`ari_with_unscored`).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from portrait.evaluate.truth import require_truth, true_person_ctes


def evaluate_clusters(warehouse: Path, truth_dir: Path, seed: int = 42) -> dict:
    require_truth("eval clusters", truth_dir, "identity.parquet", "persons.parquet")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        model = con.execute("select status, k, metrics from intermediate.int_predictions__persona_model").fetchone()
        frame = con.execute(f"""
            with {true_person_ctes(truth_dir)}
            select
                personas.person_id,
                personas.persona_code,
                persons.persona as true_persona,
                coalesce(rfm.r_score, 0) as r_score,
                coalesce(rfm.f_score, 0) as f_score,
                coalesce(rfm.m_score, 0) as m_score
            from intermediate.int_predictions__persona as personas
            inner join true_person using (person_id)
            inner join read_parquet('{truth_dir / "persons.parquet"}') as persons using (person_key)
            left join intermediate.int_segments__rfm as rfm using (person_id)
            order by personas.person_id
        """).df()
    finally:
        con.close()
    status, k, metrics = model
    scored = frame[frame["persona_code"] != "unscored"]
    result = {"status": status, "k": None if k is None else int(k), "matched_persons": int(len(frame)),
              "scored_persons": int(len(scored)),
              "scored_share": round(len(scored) / max(len(frame), 1), 4),
              "stability_by_k": json.loads(metrics).get("stability_by_k")}
    if status != "fitted" or len(scored) < 10 * int(k or 1):
        return {**result, "ari": None, "baseline_ari": None, "ari_with_unscored": None}
    baseline_x = scored[["r_score", "f_score", "m_score"]].to_numpy(dtype=np.float64)
    baseline = KMeans(int(k), n_init=8, random_state=seed).fit_predict(baseline_x)
    return {**result,
            "ari": round(float(adjusted_rand_score(scored["true_persona"], scored["persona_code"])), 4),
            "baseline_ari": round(float(adjusted_rand_score(scored["true_persona"], baseline)), 4),
            "ari_with_unscored": round(float(adjusted_rand_score(frame["true_persona"], frame["persona_code"])), 4)}
