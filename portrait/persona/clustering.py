"""Persona clustering: k-means on the standardised persona features, k chosen by
split-half stability, centroids in a canonical order with derived names.

The choice of k: for every k in the configured range, the profiled persons (a fixed
sample of them on big data) are split in two random halves `repeats` times; k-means is fit
on each half and both fits label every sampled person; the adjusted Rand index between the
two labellings is that split's stability. The chosen k is the largest whose mean stability
reaches `min_stability`: the most detailed grouping the data reproduce. (Silhouette and
Davies-Bouldin both prefer fewer, coarser groups on this data; the README's table, from
`bench/persona_k_table.py`, has the measurements.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from portrait.persona.features import FEATURE_NAMES, Scaler, fit_scaler, scale
from portrait.persona.naming import persona_names

UNSCORED = "unscored"
STATUS_FITTED = "fitted"
STATUS_TOO_THIN = "too_thin"


@dataclass
class PersonaModel:
    """A fitted persona model, serialisable to one table row (`to_row`)."""

    status: str
    k: int | None = None
    fitted_rows: int = 0
    scaler: Scaler | None = None
    centroids: list[dict] = field(default_factory=list)  # canonical order
    metrics: dict = field(default_factory=dict)

    def to_row(self) -> dict:
        return {
            "status": self.status,
            "k": self.k,
            "fitted_rows": self.fitted_rows,
            "centroids": json.dumps(self.centroids, ensure_ascii=False),
            "scaler": json.dumps(self.scaler.to_dict() if self.scaler else None),
            "metrics": json.dumps(self.metrics, ensure_ascii=False),
        }

    @classmethod
    def from_row(cls, row: dict) -> PersonaModel:
        scaler = json.loads(row["scaler"])
        return cls(status=row["status"], k=None if pd.isna(row["k"]) else int(row["k"]),
                   fitted_rows=int(row["fitted_rows"]), scaler=Scaler.from_dict(scaler) if scaler else None,
                   centroids=json.loads(row["centroids"]), metrics=json.loads(row["metrics"]))


def split_half_stability(x: np.ndarray, k: int, seed: int, repeats: int = 3) -> list[float]:
    """Adjusted Rand index between k-means fits on two random halves of `x`, both
    labelling all of `x`, for `repeats` random splits."""
    rng = np.random.default_rng(seed)
    scores = []
    for repeat in range(repeats):
        order = rng.permutation(len(x))
        half = len(x) // 2
        fits = [KMeans(k, n_init=5, random_state=seed + 2 * repeat + side).fit(x[part])
                for side, part in enumerate((order[:half], order[half:]))]
        scores.append(float(adjusted_rand_score(fits[0].predict(x), fits[1].predict(x))))
    return scores


def choose_k(x: np.ndarray, k_min: int, k_max: int, min_stability: float, seed: int,
             sample_size: int = 30_000) -> tuple[int, dict[int, float]]:
    """The largest k in [k_min, k_max] whose mean split-half stability reaches
    `min_stability` (else the most stable k), and the stability of every k."""
    if len(x) > sample_size:
        x = x[np.sort(np.random.default_rng(seed).choice(len(x), sample_size, replace=False))]
    stability = {k: round(float(np.mean(split_half_stability(x, k, seed))), 4) for k in range(k_min, k_max + 1)}
    stable = [k for k, score in stability.items() if score >= min_stability]
    chosen = max(stable) if stable else max(stability, key=lambda k: (stability[k], -k))
    return chosen, stability


def fit_personas(features: pd.DataFrame, *, k_min: int, k_max: int, min_stability: float, seed: int,
                 min_rows_per_cluster: int = 30) -> PersonaModel:
    """Fit the persona model on the eligible rows of `features` (`int_persona__features`).

    Rows are sorted by `person_id` first, so the fit never depends on input order. Too
    few eligible persons (fewer than `min_rows_per_cluster` × `k_max`) give a model with
    status `too_thin` and no centroids: every person is then `unscored`.
    """
    if k_min <= 2 or k_max < k_min:
        raise ValueError(f"persona k range must start above 2 and be non-empty, got [{k_min}, {k_max}]")
    eligible = (features[features["is_eligible"].astype(bool)]
                .sort_values("person_id", kind="stable").reset_index(drop=True))
    needed = min_rows_per_cluster * k_max
    if len(eligible) < needed:
        return PersonaModel(status=STATUS_TOO_THIN, fitted_rows=len(eligible),
                            metrics={"eligible_persons": len(eligible), "needed_persons": needed})
    scaler = fit_scaler(eligible)
    x = scale(eligible, scaler)
    k, stability = choose_k(x, k_min, k_max, min_stability, seed)
    kmeans = KMeans(k, n_init=8, random_state=seed).fit(x)
    sizes = np.bincount(kmeans.labels_, minlength=k)
    # canonical order: by purchase rate, then the centroid itself (k-means' own order is
    # arbitrary); names are given in that order
    centres = np.round(kmeans.cluster_centers_, 6)
    rate = centres[:, FEATURE_NAMES.index("orders_per_year")]
    order = sorted(range(k), key=lambda i: (-float(rate[i]), tuple(centres[i])))
    names = persona_names(centres[order])
    centroids = [{
        "rank": rank + 1,
        "persona_code": names[rank].code,
        "name_zh": names[rank].name_zh,
        "name_en": names[rank].name_en,
        "fitted_persons": int(sizes[i]),
        "z": [float(v) for v in centres[i]],
    } for rank, i in enumerate(order)]
    metrics = {"k": k, "k_range": [k_min, k_max], "min_stability": min_stability,
               "stability_by_k": {str(key): value for key, value in stability.items()},
               "inertia": round(float(kmeans.inertia_), 3), "eligible_persons": len(eligible),
               "features": list(FEATURE_NAMES)}
    return PersonaModel(status=STATUS_FITTED, k=k, fitted_rows=len(eligible), scaler=scaler,
                        centroids=centroids, metrics=metrics)


def assign_personas(features: pd.DataFrame, model: PersonaModel) -> pd.DataFrame:
    """One row per person of `features`: `person_id`, `persona_code`, `persona_name_zh`,
    `persona_name_en`, `persona_rank` and `persona_confidence` (1 − nearest / second-nearest
    centroid distance, 0–1). Ineligible persons, or all under a `too_thin` model, are
    `unscored` with a NULL rank and confidence."""
    frame = features.sort_values("person_id", kind="stable").reset_index(drop=True)
    out = pd.DataFrame({"person_id": frame["person_id"], "persona_code": UNSCORED,
                        "persona_name_zh": "未评分", "persona_name_en": "Unscored",
                        "persona_rank": pd.array([None] * len(frame), dtype="Int64"),
                        "persona_confidence": np.nan})
    eligible = frame["is_eligible"].astype(bool).to_numpy()
    if model.status != STATUS_FITTED or not eligible.any():
        return out
    x = scale(frame[eligible], model.scaler)
    centres = np.array([c["z"] for c in model.centroids])
    squared = (x ** 2).sum(axis=1)[:, None] - 2.0 * x @ centres.T + (centres ** 2).sum(axis=1)[None, :]
    distance = np.sqrt(np.maximum(squared, 0.0))
    nearest = distance.argmin(axis=1)
    ordered = np.sort(distance, axis=1)
    confidence = 1.0 - ordered[:, 0] / np.maximum(ordered[:, 1], 1e-12)
    lookup = pd.DataFrame(model.centroids)
    out.loc[eligible, "persona_code"] = lookup["persona_code"].to_numpy()[nearest]
    out.loc[eligible, "persona_name_zh"] = lookup["name_zh"].to_numpy()[nearest]
    out.loc[eligible, "persona_name_en"] = lookup["name_en"].to_numpy()[nearest]
    out.loc[eligible, "persona_rank"] = lookup["rank"].to_numpy()[nearest]
    out.loc[eligible, "persona_confidence"] = np.round(confidence, 6)
    return out
