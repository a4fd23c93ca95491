"""Fitting the CLV models on the buyers and scoring each of them: expected purchases,
probability alive, discounted 12-month customer lifetime value and an LTV tier.

`fit_ltv` returns the fitted parameters (one table row in the warehouse,
`int_predictions__ltv_model`); `score_customers` scores with them, so fitting and
scoring are separate dbt models and the run log can read the fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from portrait.ltv.models import (
    bgnbd_from_parameters,
    bgnbd_log_likelihood,
    bgnbd_parameters,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_from_parameters,
    gamma_gamma_parameters,
)

STATUS_FITTED = "fitted"
STATUS_TOO_THIN = "too_thin"
#: Fewest buyers, and fewest repeat buyers with spend, the two fits need.
MIN_BUYERS, MIN_REPEAT_BUYERS = 10, 10
#: What BG/NBD's predictions for a buyer depend on: scoring evaluates them once per
#: distinct history (65 % of the rows on `large`) and gives each buyer its history's values.
HISTORY = ["frequency", "recency", "T"]
COLUMNS = ["person_id", "expected_purchases_90d", "expected_purchases_365d", "probability_alive",
           "expected_spend_per_purchase", "expected_clv_12m", "ltv_tier"]


def _values(array) -> np.ndarray:
    return np.asarray(array).reshape(-1)


def ltv_tiers(clv: np.ndarray, cutoffs: dict[str, float]) -> np.ndarray:
    """Tier by the share of scored customers with a CLV at least as high (`high` = top
    `cutoffs['high']`, then `medium`; the rest `low`). Ties share a tier."""
    order = pd.Series(clv).rank(method="max", ascending=False) / max(len(clv), 1)
    return np.where(order <= cutoffs["high"], "high", np.where(order <= cutoffs["medium"], "medium", "low"))


def _prepared(summary: pd.DataFrame) -> pd.DataFrame:
    """The buyers of `summary` that can be scored, sorted by `person_id` (the fit never
    depends on input order), in the column names pymc-marketing reads. Buyers whose first
    purchase is on the as-of date (T = 0) are too new: nothing has been observed of them
    yet, so they stay `unscored`."""
    scorable = summary[summary["t_weeks"] > 0]
    # person ids are unique: any sort gives the same order; Arrow's is the fastest here
    order = pc.sort_indices(pa.array(scorable["person_id"])).to_numpy()
    data = scorable.take(order).reset_index(drop=True).rename(columns={"recency_weeks": "recency", "t_weeks": "T"})
    return data.assign(customer_id=np.arange(len(data)))


def _histories(data: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct (`frequency`, `recency`, `T`) of `data`, in order of first appearance
    and numbered as `customer_id`, and for each row of `data` the number of its history
    (a missing value is a value of its own: it never joins another history)."""
    codes = data.groupby(HISTORY, sort=False, dropna=False).ngroup().to_numpy()
    first = ~pd.Series(codes).duplicated().to_numpy()
    histories = data.loc[first, HISTORY].reset_index(drop=True)
    return histories.assign(customer_id=np.arange(len(histories))), codes


def _spend_input(data: pd.DataFrame) -> pd.DataFrame:
    """Gamma-Gamma reads repeat buyers' mean spend; one-time buyers get a placeholder
    (the model then predicts the population mean for them)."""
    return data.assign(monetary_value=data["monetary_value"].where(data["frequency"] > 0, 1.0).clip(lower=0.01))


def fit_ltv(summary: pd.DataFrame) -> dict:
    """Fit BG/NBD (all buyers) and Gamma-Gamma (repeat buyers with positive spend) by MAP
    under flat priors. Returns `status` (`fitted`, or `too_thin` below `MIN_BUYERS`
    buyers or `MIN_REPEAT_BUYERS` repeat buyers, or when the fit fails or leaves finite
    positive values, with a `reason`), counts, r, alpha, a, b, p, q, v and the BG/NBD
    log-likelihood."""
    data = _prepared(summary)
    spenders = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    fit = {"buyers": int(len(data)), "repeat_buyers": int(len(spenders))}
    if len(data) < MIN_BUYERS or len(spenders) < MIN_REPEAT_BUYERS:
        return {"status": STATUS_TOO_THIN, **fit}
    try:
        bgnbd = fit_bgnbd(data)
        gamma_gamma = fit_gamma_gamma(_spend_input(data)[(data["frequency"] > 0) & (data["monetary_value"] > 0)])
        parameters = {**bgnbd_parameters(bgnbd), **gamma_gamma_parameters(gamma_gamma),
                      "loglik_bgnbd": bgnbd_log_likelihood(bgnbd)}
    except (ValueError, FloatingPointError, RuntimeError, np.linalg.LinAlgError) as error:
        # degenerate data (e.g. everyone bought the same amount): no fit, not a crash
        return {"status": STATUS_TOO_THIN, **fit, "reason": f"fit failed: {error}"[:300]}
    if not all(np.isfinite(value) and (name == "loglik_bgnbd" or value > 0) for name, value in parameters.items()):
        return {"status": STATUS_TOO_THIN, **fit, "reason": "fit did not converge to finite positive parameters"}
    return {"status": STATUS_FITTED, **fit, **parameters}


def score_customers(summary: pd.DataFrame, discount_rate_monthly: float, tier_cutoffs: dict[str, float],
                    fit: dict | None = None) -> pd.DataFrame:
    """Score every buyer of `summary` with the parameters of `fit` (fitted here when not
    given). summary: `person_id`, `frequency`, `recency_weeks`, `t_weeks`,
    `monetary_value`. Returns `person_id`, `expected_purchases_90d`,
    `expected_purchases_365d`, `probability_alive`, `expected_spend_per_purchase`,
    `expected_clv_12m` (discounted at `discount_rate_monthly`), `ltv_tier`; no rows when
    the fit is `too_thin`."""
    fit = fit_ltv(summary) if fit is None else fit
    if fit["status"] != STATUS_FITTED:
        # typed, so the empty table still has text and double columns in the warehouse
        return pd.DataFrame({name: pd.Series(dtype="string" if name in ("person_id", "ltv_tier") else "float64")
                             for name in COLUMNS})
    from pymc_marketing.clv.utils import customer_lifetime_value

    data = _prepared(summary)
    spend_input = _spend_input(data)
    histories, history_of = _histories(data)
    bgnbd = bgnbd_from_parameters(histories, fit)
    gamma_gamma = gamma_gamma_from_parameters(spend_input, fit)

    def per_buyer(values) -> np.ndarray:
        return _values(values)[history_of]

    spend = _values(gamma_gamma.expected_customer_spend(data=spend_input))
    # pymc-marketing's CLV is the expected spend times the discounted expected purchases of
    # each month (`GammaGammaModel.expected_customer_lifetime_value`); the purchases depend
    # on the history only, so the 12 monthly steps run once per history, at a spend of 1
    discounted_purchases = per_buyer(customer_lifetime_value(
        bgnbd, histories.assign(future_spend=1.0), future_t=12, discount_rate=discount_rate_monthly, time_unit="W"))
    result = pd.DataFrame({
        "person_id": data["person_id"],
        "expected_purchases_90d": per_buyer(bgnbd.expected_purchases(data=histories, future_t=90 / 7)),
        "expected_purchases_365d": per_buyer(bgnbd.expected_purchases(data=histories, future_t=365 / 7)),
        "probability_alive": per_buyer(bgnbd.expected_probability_alive(data=histories)),
        "expected_spend_per_purchase": spend,
        "expected_clv_12m": spend * discounted_purchases,
    })
    result["ltv_tier"] = ltv_tiers(result["expected_clv_12m"].to_numpy(), tier_cutoffs)
    return result[COLUMNS]


def backtest_ltv(backtest: pd.DataFrame, days: int) -> dict:
    """Fit on a past summary (`int_ltv__backtest_summary`: the summary columns plus
    `purchase_days_after`) and rank the forecast of purchases over the `days` since
    against what happened: Spearman of expected vs actual purchase days
    (`backtest_spearman`), beside the past purchase rate extrapolated
    (`backtest_baseline_spearman`). Figures are None when the past is too thin to fit."""
    from scipy.stats import spearmanr

    result = {"backtest_days": days, "backtest_buyers": int((backtest["t_weeks"] > 0).sum()),
              "backtest_spearman": None, "backtest_baseline_spearman": None}
    fit = fit_ltv(backtest)
    if fit["status"] != STATUS_FITTED:
        return result
    data = _prepared(backtest)
    expected = _values(bgnbd_from_parameters(data, fit).expected_purchases(data=data, future_t=days / 7))
    past_rate = (data["frequency"] + 1) / (data["T"] + 1.0)
    actual = data["purchase_days_after"]
    if actual.nunique() < 2:
        return result
    return {**result,
            "backtest_spearman": round(float(spearmanr(expected, actual).statistic), 4),
            "backtest_baseline_spearman": round(float(spearmanr(past_rate, actual).statistic), 4)}
