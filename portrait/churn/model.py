"""Churn propensity from `int_churn__snapshots`: fit, time-split holdout, scoring.

The snapshots hold each buyer's history as of three dates (`holdout_train`, `train`,
`score`; see the model's SQL). A gradient-boosting classifier (scikit-learn's
HistGradientBoostingClassifier, calibrated by isotonic regression over 3 folds) is
fitted on `holdout_train` and tested on `train` — the time-split holdout AUC, on
snapshots the model never saw — then refitted on `train` and applied to `score`.
"""

from __future__ import annotations

import base64
import io
import pickle
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score

FEATURES: tuple[str, ...] = (
    "days_since_last_order", "days_since_first_order", "orders_lifetime", "purchase_days_lifetime",
    "orders_30d", "orders_90d", "orders_365d", "spend_365d", "spend_lifetime", "avg_order_value",
    "mean_days_between_purchases", "store_order_share", "discount_share",
    "days_since_last_visit", "events_30d", "sessions_30d", "cart_adds_30d", "events_90d",
    "sessions_90d", "cart_adds_90d", "visit_days_365d",
)
STATUS_FITTED = "fitted"
STATUS_TOO_THIN = "too_thin"
#: Fewest rows, and fewest of each class, a training snapshot needs.
MIN_ROWS, MIN_CLASS_ROWS = 200, 30


@dataclass
class ChurnModel:
    status: str
    estimator: object | None = None
    metrics: dict = field(default_factory=dict)

    def estimator_text(self) -> str | None:
        """The fitted estimator as base64 pickle text (stored in the warehouse table the
        scoring model reads; never load one from an untrusted file)."""
        if self.estimator is None:
            return None
        return base64.b64encode(pickle.dumps(self.estimator)).decode("ascii")

    @staticmethod
    def load_estimator(text: str | None):
        return None if text is None or pd.isna(text) else pickle.load(io.BytesIO(base64.b64decode(text)))


def read_snapshots(relation, roles: tuple[str, ...]) -> pd.DataFrame:
    """The rows of `int_churn__snapshots` (a DuckDB relation, e.g. `dbt.ref(...)`) in
    `roles`, with only the columns fitting and scoring use, the features as doubles,
    fetched through Arrow. On a `large`-sized table (1.23 M training rows) this peaks at
    0.68 GB over the process against 1.24 GB for `.df()` of every column, in a third of
    the time (bench/README.md, "Churn: reading the snapshots")."""
    in_roles = ", ".join(f"'{role}'" for role in roles)
    columns = ", ".join(["snapshot_role", "person_id", "is_churned",
                         *(f"cast({name} as double) as {name}" for name in FEATURES)])
    return relation.filter(f"snapshot_role in ({in_roles})").project(columns).to_arrow_table().to_pandas()


def _role(snapshots: pd.DataFrame, role: str) -> pd.DataFrame:
    rows = snapshots[snapshots["snapshot_role"] == role]
    return rows.sort_values("person_id", kind="stable", ignore_index=True)


def _matrix(rows: pd.DataFrame) -> np.ndarray:
    features = rows[list(FEATURES)]
    if not all(pd.api.types.is_numeric_dtype(dtype) for dtype in features.dtypes):
        features = features.apply(pd.to_numeric, errors="coerce")
    return features.to_numpy(dtype=np.float64)


def _thin(rows: pd.DataFrame) -> bool:
    labels = rows["is_churned"].astype(bool)
    return len(rows) < MIN_ROWS or min(labels.sum(), (~labels).sum()) < MIN_CLASS_ROWS


def _classifier(seed: int, max_training_rows: int, rows: pd.DataFrame):
    if len(rows) > max_training_rows:
        rows = rows.sample(max_training_rows, random_state=seed).sort_values("person_id", kind="stable")
    booster = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=31,
                                             l2_regularization=1.0, early_stopping=True,
                                             validation_fraction=0.15, random_state=seed)
    model = CalibratedClassifierCV(booster, method="isotonic", cv=3)
    features = _matrix(rows).copy()
    # A feature with no value at all (e.g. visits, when no tracking export has arrived)
    # breaks the booster's binning: fit it as a constant, which no split can use.
    features[:, _features_without_data(rows)] = 0.0
    return model.fit(features, rows["is_churned"].astype(int).to_numpy())


def _features_without_data(rows: pd.DataFrame) -> np.ndarray:
    return rows[list(FEATURES)].isna().all().to_numpy()


def _auc(labels: pd.Series, scores: np.ndarray) -> float | None:
    labels = labels.astype(int)
    if labels.nunique() < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def fit_churn(snapshots: pd.DataFrame, seed: int, max_training_rows: int = 150_000) -> ChurnModel:
    """Fit on `train` (time-split check: fit on `holdout_train`, test on `train`).
    Too few rows or too few of either class in a training snapshot: `too_thin`.
    Each fit reads a seeded sample of at most `max_training_rows` rows: on `large`
    (646k buyers) 150k rows instead of 300k cost 0.001 of holdout AUC and 39 % less time
    (bench/README.md, "Churn: training rows and sharing the cores")."""
    holdout_train, train = _role(snapshots, "holdout_train"), _role(snapshots, "train")
    metrics: dict = {"train_rows": len(train), "holdout_train_rows": len(holdout_train),
                     "features": list(FEATURES)}
    if _thin(train) or _thin(holdout_train):
        return ChurnModel(status=STATUS_TOO_THIN, metrics=metrics)
    metrics["features_without_data"] = [f for f, empty in zip(FEATURES, _features_without_data(train)) if empty]
    check = _classifier(seed, max_training_rows, holdout_train)
    held_out = check.predict_proba(_matrix(train))[:, 1]
    labels = train["is_churned"].astype(int)
    metrics.update({
        "churn_rate_train": round(float(labels.mean()), 4),
        "auc_holdout": _auc(labels, held_out),
        "baseline_auc_recency_holdout": _auc(labels, train["days_since_last_order"].to_numpy(dtype=float)),
        "brier_holdout": round(float(brier_score_loss(labels, held_out)), 4),
        "mean_predicted_holdout": round(float(held_out.mean()), 4),
    })
    return ChurnModel(status=STATUS_FITTED, estimator=_classifier(seed, max_training_rows, train), metrics=metrics)


def risk_bands(probability: np.ndarray, cutoffs: dict[str, float]) -> np.ndarray:
    """`high` from `cutoffs['high']`, `medium` from `cutoffs['medium']`, else `low`."""
    return np.where(probability >= cutoffs["high"], "high",
                    np.where(probability >= cutoffs["medium"], "medium", "low"))


#: Published probabilities stay within these bounds. Isotonic calibration gives exactly 1.0
#: (or 0.0) to a score bin in which every training buyer churned (or none did); a thin bin
#: is no certainty, and a published 1.0 reads as one.
PROBABILITY_BOUNDS = (0.01, 0.99)


def score_churn(snapshots: pd.DataFrame, estimator, cutoffs: dict[str, float]) -> pd.DataFrame:
    """`person_id`, `churn_probability`, `churn_risk_band` for every `score` row (buyers
    as of the as-of date); no rows when there is no fitted estimator."""
    rows = _role(snapshots, "score")
    columns = ["person_id", "churn_probability", "churn_risk_band"]
    if estimator is None or rows.empty:
        # typed, so the empty table still has text and double columns in the warehouse
        return pd.DataFrame({"person_id": pd.Series(dtype="string"), "churn_probability": pd.Series(dtype="float64"),
                             "churn_risk_band": pd.Series(dtype="string")})
    probability = np.clip(estimator.predict_proba(_matrix(rows))[:, 1], *PROBABILITY_BOUNDS)
    return pd.DataFrame({"person_id": rows["person_id"], "churn_probability": np.round(probability, 6),
                         "churn_risk_band": risk_bands(probability, cutoffs)})[columns]
