"""Lookalike expansion: score every person outside a seed audience by how much they look
like its members, so the top N can become an audience of their own.

Method (positive-unlabelled learning): the seed's members are positives and everyone else
is unlabelled. A gradient-boosted classifier (scikit-learn's HistGradientBoostingClassifier,
which takes missing values as they are) learns seed versus population on the persona
features (`int_persona__features`: frequency, basket, channel and content habits, tenure,
age). Every unlabelled person is scored by a model that did not train on them (3-fold
cross-fitting over the unlabelled), so a person's own row never pulls their score down.
Scores are the classifier's probability; rank 1 is the most similar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = (
    "events_lifetime", "orders_lifetime", "tenure_days", "orders_per_year", "sessions_per_30d",
    "events_per_session", "avg_order_value", "avg_unit_price", "lines_per_order", "discount_share",
    "store_order_share", "miniprogram_event_share", "evening_event_share", "content_engagement_share",
    "cart_add_share", "share_event_share", "days_since_last_active", "age_years_approx",
)
FOLDS = 3


def score(features: pd.DataFrame, seed: set[str], random_state: int = 0) -> pd.DataFrame:
    """`person_id`, `score`, `rank` for every person of `features` outside `seed`."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    # a canonical row order: the folds and the fit must not depend on how the rows arrived
    # (an incremental night and a full build hand them over in different orders)
    frame = features.sort_values("person_id", kind="mergesort").reset_index(drop=True)
    # features with fewer than two distinct values carry nothing (e.g. every behaviour
    # feature on a night the tracking export is missing) and break the binning: left out
    columns = [c for c in FEATURES if frame[c].nunique(dropna=True) >= 2]
    if not columns:
        raise ValueError("no feature varies across persons: nothing to tell the seed from the population")
    X = frame[columns].astype("float64").to_numpy()
    positive = frame["person_id"].isin(seed).to_numpy()
    unlabelled = np.flatnonzero(~positive)
    if positive.sum() < 5 or len(unlabelled) < FOLDS:
        raise ValueError(f"a lookalike needs a seed of at least 5 persons and a population to score "
                         f"(seed {int(positive.sum())}, others {len(unlabelled)})")
    rng = np.random.default_rng(random_state)
    folds = rng.integers(0, FOLDS, len(unlabelled))
    scores = np.empty(len(unlabelled))
    positives = np.flatnonzero(positive)
    for fold in range(FOLDS):
        held = unlabelled[folds == fold]
        train = np.concatenate([positives, unlabelled[folds != fold]])
        labels = positive[train].astype(int)
        # balance the classes: the seed is small beside the population
        weights = np.where(labels == 1, (labels == 0).sum() / max(labels.sum(), 1), 1.0)
        model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=15,
                                               l2_regularization=1.0, random_state=random_state)
        model.fit(X[train], labels, sample_weight=weights)
        scores[folds == fold] = model.predict_proba(X[held])[:, 1]
    out = pd.DataFrame({"person_id": frame["person_id"].to_numpy()[unlabelled], "score": scores})
    out = out.sort_values(["score", "person_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1, dtype="int64")
    return out


__all__ = ["score", "FEATURES"]
