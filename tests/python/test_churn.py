"""Churn propensity without dbt: the time-split holdout, determinism, thin data, bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

import duckdb

from portrait.churn.model import (PROBABILITY_BOUNDS, FEATURES, ChurnModel, fit_churn, read_snapshots, risk_bands,
                                  score_churn)

CUTOFFS = {"high": 0.7, "medium": 0.4}


def _snapshots(rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Buyers whose churn depends on recency and recent sessions, as of three snapshots."""
    rng = np.random.default_rng(seed)
    parts = []
    for role in ("holdout_train", "train", "score"):
        frame = pd.DataFrame({name: rng.gamma(2.0, 10.0, rows) for name in FEATURES})
        frame["days_since_last_order"] = rng.integers(0, 400, rows).astype(float)
        frame["sessions_30d"] = rng.poisson(2.0, rows).astype(float)
        frame["days_since_last_visit"] = np.where(rng.random(rows) < 0.2, np.nan, frame["days_since_last_visit"])
        logit = (frame["days_since_last_order"] - 150) / 40 - 1.5 * frame["sessions_30d"] + 3.0
        churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
        frame["is_churned"] = None if role == "score" else churned
        frame["person_id"] = [f"p{i:05d}" for i in range(rows)]
        frame["snapshot_role"] = role
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def test_holdout_auc_is_measured_on_the_later_snapshot_and_beats_recency() -> None:
    model = fit_churn(_snapshots(), seed=3)
    assert model.status == "fitted"
    assert model.metrics["train_rows"] == model.metrics["holdout_train_rows"] == 1500
    # sessions carry signal recency alone misses
    assert model.metrics["auc_holdout"] > model.metrics["baseline_auc_recency_holdout"] + 0.02
    assert 0 < model.metrics["brier_holdout"] < 0.25


def test_scores_are_calibrated_probabilities_independent_of_row_order() -> None:
    snapshots = _snapshots()
    first = fit_churn(snapshots, seed=3)
    shuffled = snapshots.sample(frac=1.0, random_state=5).reset_index(drop=True)
    second = fit_churn(shuffled, seed=3)
    scored = score_churn(snapshots, first.estimator, CUTOFFS)
    again = score_churn(shuffled, second.estimator, CUTOFFS)
    pd.testing.assert_frame_equal(scored, again)
    assert len(scored) == 1500 and scored["churn_probability"].between(*PROBABILITY_BOUNDS).all()
    # a buyer who ordered yesterday and browses is less likely to churn than one gone a year
    recent = snapshots[(snapshots.snapshot_role == "score") & (snapshots.days_since_last_order < 20)]
    gone = snapshots[(snapshots.snapshot_role == "score") & (snapshots.days_since_last_order > 350)]
    by_person = scored.set_index("person_id")["churn_probability"]
    assert by_person[recent.person_id].mean() + 0.4 < by_person[gone.person_id].mean()


def test_the_estimator_survives_the_round_trip_through_the_warehouse_table() -> None:
    model = fit_churn(_snapshots(), seed=3)
    restored = ChurnModel.load_estimator(model.estimator_text())
    snapshots = _snapshots()
    pd.testing.assert_frame_equal(score_churn(snapshots, model.estimator, CUTOFFS),
                                  score_churn(snapshots, restored, CUTOFFS))


def test_thin_or_one_class_training_data_is_not_fitted() -> None:
    few = _snapshots(rows=150)
    assert fit_churn(few, seed=1).status == "too_thin"
    one_class = _snapshots()
    one_class.loc[one_class.snapshot_role != "score", "is_churned"] = True
    model = fit_churn(one_class, seed=1)
    assert model.status == "too_thin" and model.estimator_text() is None
    empty = score_churn(_snapshots(), None, CUTOFFS)
    assert empty.empty and list(empty.columns) == ["person_id", "churn_probability", "churn_risk_band"]
    assert str(empty["churn_probability"].dtype) == "float64"


def test_risk_bands_at_their_boundaries() -> None:
    bands = risk_bands(np.array([0.0, 0.3999, 0.4, 0.6999, 0.7, 1.0]), CUTOFFS)
    assert list(bands) == ["low", "low", "medium", "medium", "high", "high"]


def test_a_feature_without_any_value_is_ignored_not_fatal() -> None:
    """No tracking export yet: every visit feature is missing for every buyer."""
    snapshots = _snapshots()
    snapshots["days_since_last_visit"] = np.nan
    model = fit_churn(snapshots, seed=3)
    assert model.status == "fitted"
    assert model.metrics["features_without_data"] == ["days_since_last_visit"]
    scored = score_churn(snapshots, model.estimator, CUTOFFS)
    assert scored["churn_probability"].between(0, 1).all() and len(scored) == 1500


def test_snapshots_read_from_duckdb_fit_as_the_full_frame_does() -> None:
    """`read_snapshots` (what the dbt models use) keeps the asked roles and the columns
    fitting needs, integer and HUGEINT features as doubles, and fits the same model."""
    snapshots = _snapshots()
    con = duckdb.connect()
    con.register("frame", snapshots)
    con.execute("create table snapshots as select * replace (cast(sessions_30d as hugeint) as sessions_30d,"
                " cast(days_since_last_order as bigint) as days_since_last_order), 'x' as unused from frame")
    training = read_snapshots(con.table("snapshots"), ("holdout_train", "train"))
    assert sorted(training.columns) == sorted(["snapshot_role", "person_id", "is_churned", *FEATURES])
    assert set(training["snapshot_role"]) == {"holdout_train", "train"} and len(training) == 3000
    assert all(str(training[name].dtype) == "float64" for name in FEATURES)
    scored = score_churn(read_snapshots(con.table("snapshots"), ("score",)), fit_churn(training, seed=3).estimator, CUTOFFS)
    expected = score_churn(snapshots, fit_churn(snapshots, seed=3).estimator, CUTOFFS)
    pd.testing.assert_frame_equal(scored, expected, check_dtype=False)


def test_a_calibrated_certainty_is_published_within_the_bounds() -> None:
    """Isotonic calibration gives exactly 1.0 (or 0.0) to a bin in which every training
    buyer churned (or none did): published as 0.99 (0.01), banded as it was."""

    class Certain:
        def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
            p = np.array([1.0, 0.0, 0.5] * (len(matrix) // 3) + [0.5] * (len(matrix) % 3))
            return np.column_stack([1 - p, p])

    scored = score_churn(_snapshots(), Certain(), CUTOFFS)
    assert set(scored["churn_probability"]) == {0.99, 0.01, 0.5}
    assert set(scored.loc[scored["churn_probability"] == 0.99, "churn_risk_band"]) == {"high"}
