"""Scoring every buyer with the CLV models: expected purchases, probability alive,
discounted 12-month customer lifetime value and an LTV tier."""

from __future__ import annotations

import numpy as np
import pandas as pd

from portrait.ltv.models import fit_bgnbd, fit_gamma_gamma

UNSCORED = "unscored"


def _values(array) -> np.ndarray:
    return np.asarray(array).reshape(-1)


def ltv_tiers(clv: np.ndarray, cutoffs: dict[str, float]) -> np.ndarray:
    """Tier by the share of scored customers with a CLV at least as high (`high` = top
    `cutoffs['high']`, then `medium`; the rest `low`). Ties share a tier."""
    order = pd.Series(clv).rank(method="max", ascending=False) / max(len(clv), 1)
    return np.where(order <= cutoffs["high"], "high", np.where(order <= cutoffs["medium"], "medium", "low"))


def score_customers(summary: pd.DataFrame, discount_rate_monthly: float, tier_cutoffs: dict[str, float]) -> pd.DataFrame:
    """Fit BG/NBD and Gamma-Gamma on the buyers of `summary` and score each of them.

    summary: `person_id`, `frequency`, `recency_weeks`, `t_weeks`, `monetary_value`.
    Rows are sorted by `person_id` first, so the fit never depends on input order.
    Returns `person_id`, `expected_purchases_90d`, `expected_purchases_365d`,
    `probability_alive`, `expected_spend_per_purchase`, `expected_clv_12m` (discounted
    at `discount_rate_monthly`), `ltv_tier`.
    """
    data = (summary.sort_values("person_id", kind="stable").reset_index(drop=True)
            .rename(columns={"recency_weeks": "recency", "t_weeks": "T"}))
    data = data.assign(customer_id=np.arange(len(data)))
    columns = ["person_id", "expected_purchases_90d", "expected_purchases_365d", "probability_alive",
               "expected_spend_per_purchase", "expected_clv_12m", "ltv_tier"]
    if len(data) < 10:
        return pd.DataFrame(columns=columns)
    bgnbd = fit_bgnbd(data)
    spend_input = data.assign(monetary_value=data["monetary_value"].where(data["frequency"] > 0, 1.0).clip(lower=0.01))
    spenders = spend_input[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    gamma_gamma = fit_gamma_gamma(spenders)
    clv = _values(gamma_gamma.expected_customer_lifetime_value(
        transaction_model=bgnbd, data=spend_input, future_t=12, discount_rate=discount_rate_monthly, time_unit="W"))
    result = pd.DataFrame({
        "person_id": data["person_id"],
        "expected_purchases_90d": _values(bgnbd.expected_purchases(data=data, future_t=90 / 7)),
        "expected_purchases_365d": _values(bgnbd.expected_purchases(data=data, future_t=365 / 7)),
        "probability_alive": _values(bgnbd.expected_probability_alive(data=data)),
        "expected_spend_per_purchase": _values(gamma_gamma.expected_customer_spend(data=spend_input)),
        "expected_clv_12m": clv,
    })
    result["ltv_tier"] = ltv_tiers(result["expected_clv_12m"].to_numpy(), tier_cutoffs)
    return result[columns]
