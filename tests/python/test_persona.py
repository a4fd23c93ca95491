"""Persona clustering without dbt: names from centroid traits, the choice of k, order
independence, and thin data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portrait.persona.clustering import UNSCORED, assign_personas, choose_k, fit_personas
from portrait.persona.features import FEATURE_NAMES
from portrait.persona.naming import persona_names


def _centroid(**z: float) -> np.ndarray:
    return np.array([z.get(name, 0.0) for name in FEATURE_NAMES])


def test_names_come_from_the_two_strongest_traits() -> None:
    names = persona_names(np.array([
        _centroid(store_order_share=2.4, sessions_per_30d=-1.2, age_years_approx=0.5),
        _centroid(orders_per_year=1.0, avg_order_value=1.5),
        _centroid(discount_share=0.2),
    ]))
    assert [n.code for n in names] == ["store_first_offline", "frequent_big_basket", "balanced"]
    assert names[0].name_zh == "门店少上线型"
    assert names[0].name_en == "store-first rarely-online shoppers"
    assert names[2].name_zh == "均衡型"
    # two traits of nearly equal strength swapping places do not rename the persona
    swapped = persona_names(np.array([_centroid(orders_per_year=1.5, avg_order_value=1.0)]))
    assert swapped[0].code == names[1].code and swapped[0].name_zh == "高频高客单型"


def test_clashing_names_take_one_more_trait() -> None:
    names = persona_names(np.array([
        _centroid(content_engagement_share=2.0, orders_per_year=-1.0, age_years_approx=-0.8),
        _centroid(content_engagement_share=2.0, orders_per_year=-1.0, evening_event_share=0.6),
    ]))
    assert [n.code for n in names] == ["content_browsing_rarely_buying_young",
                                       "content_browsing_rarely_buying_evening"]


def test_identical_centroids_are_numbered() -> None:
    names = persona_names(np.array([_centroid(tenure_days=-2.0), _centroid(tenure_days=-2.0)]))
    assert [n.code for n in names] == ["newcomer_1", "newcomer_2"]


def _planted(groups: int, per_group: int, seed: int = 0) -> pd.DataFrame:
    """Persons from `groups` well separated profiles (each differs in one feature)."""
    rng = np.random.default_rng(seed)
    rows = []
    profiles = [
        {"store_order_share": 0.95, "sessions_per_30d": 0.1, "orders_per_year": 12.0},
        {"content_engagement_share": 0.6, "sessions_per_30d": 6.0, "orders_per_year": 0.3},
        {"discount_share": 0.5, "avg_order_value": 60.0, "orders_per_year": 3.0},
        {"avg_order_value": 2000.0, "lines_per_order": 4.0, "orders_per_year": 8.0},
        {"tenure_days": 20.0, "sessions_per_30d": 12.0, "orders_per_year": 1.0},
    ][:groups]
    base = {name: 0.1 for name in FEATURE_NAMES} | {
        "tenure_days": 700.0, "orders_per_year": 2.0, "sessions_per_30d": 2.0, "events_per_session": 5.0,
        "avg_order_value": 300.0, "avg_unit_price": 150.0, "lines_per_order": 1.5,
        "days_since_last_active": 30.0, "age_years_approx": 35.0}
    for group, profile in enumerate(profiles):
        for i in range(per_group):
            row = {name: value * float(np.exp(rng.normal(0, 0.05))) for name, value in (base | profile).items()}
            row.update(person_id=f"p_{group}_{i:04d}", group=group, is_eligible=True)
            rows.append(row)
    return pd.DataFrame(rows)


def test_k_range_must_start_above_two() -> None:
    with pytest.raises(ValueError, match="above 2"):
        fit_personas(_planted(3, 50), k_min=2, k_max=6, min_stability=0.9, seed=1)


def test_planted_groups_are_found_and_named() -> None:
    frame = _planted(4, 150)
    model = fit_personas(frame, k_min=3, k_max=7, min_stability=0.9, seed=7)
    assert model.status == "fitted" and model.k == 4
    assigned = assign_personas(frame, model).merge(frame[["person_id", "group"]], on="person_id")
    # each planted group is exactly one persona
    assert assigned.groupby("group")["persona_code"].nunique().eq(1).all()
    assert assigned["persona_code"].nunique() == 4
    codes = dict(assigned.groupby("group")["persona_code"].first())
    assert "store_first" in codes[0]
    assert "content_browsing" in codes[1]
    assert [c["rank"] for c in model.centroids] == [1, 2, 3, 4]
    assert assigned["persona_confidence"].between(0, 1).all()


def test_input_order_does_not_change_the_result() -> None:
    frame = _planted(4, 120, seed=3)
    shuffled = frame.sample(frac=1.0, random_state=11).reset_index(drop=True)
    first = fit_personas(frame, k_min=3, k_max=6, min_stability=0.9, seed=5)
    second = fit_personas(shuffled, k_min=3, k_max=6, min_stability=0.9, seed=5)
    assert first.to_row() == second.to_row()
    pd.testing.assert_frame_equal(assign_personas(frame, first), assign_personas(shuffled, second))


def test_choose_k_prefers_the_largest_stable_k() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(5) * 8.0
    x = np.vstack([c + rng.normal(0, 0.5, (200, 5)) for c in centres])
    k, stability = choose_k(x, 3, 8, min_stability=0.9, seed=2)
    assert k == 5
    assert stability[5] >= 0.9 > min(stability[6], stability[7], stability[8])


def test_thin_data_is_not_fitted_and_everyone_is_unscored() -> None:
    frame = _planted(3, 40)
    frame.loc[frame.index[::2], "is_eligible"] = False
    model = fit_personas(frame, k_min=3, k_max=10, min_stability=0.9, seed=1)
    assert model.status == "too_thin" and model.k is None and model.centroids == []
    assert model.metrics == {"eligible_persons": 60, "needed_persons": 300}
    assigned = assign_personas(frame, model)
    assert len(assigned) == len(frame)
    assert (assigned["persona_code"] == UNSCORED).all()
    assert assigned["persona_rank"].isna().all()


def test_ineligible_persons_are_unscored() -> None:
    frame = _planted(3, 120)
    model = fit_personas(frame, k_min=3, k_max=5, min_stability=0.9, seed=1)
    frame.loc[frame.index[:10], "is_eligible"] = False
    assigned = assign_personas(frame, model).set_index("person_id")
    ineligible = frame.loc[frame.index[:10], "person_id"]
    assert (assigned.loc[ineligible, "persona_code"] == UNSCORED).all()
    assert (assigned.drop(ineligible)["persona_code"] != UNSCORED).all()
