"""Campaign results: treatment against control, per campaign (docs/campaigns.md).

The unit is a person assigned to a campaign (intent to treat: `int_campaign__assignments`).
For each cell this computes, with maintained libraries rather than hand-written formulas:

- the conversion rates of both groups and their difference (`uplift`), with Newcombe's
  hybrid score interval (statsmodels `confint_proportions_2indep(method="newcomb")`): it
  keeps close to its nominal 95 % coverage for small groups and rates near 0, where the
  textbook Wald interval is too narrow, and it exists when a group has no conversions;
- the p-value of the Miettinen–Nurminen score test (`test_proportions_2indep(method="score")`),
  the test that matches a score interval; 1.0 when neither group varies (all or none
  converted: no evidence of a difference);
- the relative uplift (treatment rate / control rate − 1) with the log-adjusted ratio
  interval, when the control group converted at all;
- Benjamini–Hochberg q-values (statsmodels `multipletests(method="fdr_bh")`) across the
  cells of one family (the campaigns' overall rows are one family; the segments of one
  campaign in one scheme another);
- incremental orders and revenue: the per-person difference between the groups times the
  treatment group's size, revenue with a percentile bootstrap interval (scipy
  `stats.bootstrap`, both groups resampled independently, seeded per cell);
- a flag for cells too small to say anything (fewer than `min_group_persons` in a group).
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 1000
# Resampled values held in memory at once by the bootstrap (its `batch`): about 160 MB.
BOOTSTRAP_VALUES_IN_MEMORY = 20_000_000

RESULT_COLUMNS = [
    "campaign_id", "scheme", "segment_code", "treatment_persons", "control_persons",
    "treatment_conversions", "control_conversions", "treatment_conversion_rate", "control_conversion_rate",
    "uplift", "uplift_ci_low", "uplift_ci_high", "p_value", "q_value",
    "relative_uplift", "relative_uplift_ci_low", "relative_uplift_ci_high",
    "incremental_orders", "incremental_revenue", "incremental_revenue_ci_low", "incremental_revenue_ci_high",
    "is_small_cell",
]


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:8], "big")


def conversion_difference(conv_t: int, n_t: int, conv_c: int, n_c: int) -> dict:
    """Difference of two independent proportions: rates, uplift, its 95 % interval
    (Newcombe hybrid score), the score test's p-value, the relative uplift and its
    interval. Empty groups give NULLs."""
    out = {"treatment_conversion_rate": None, "control_conversion_rate": None, "uplift": None,
           "uplift_ci_low": None, "uplift_ci_high": None, "p_value": None, "relative_uplift": None,
           "relative_uplift_ci_low": None, "relative_uplift_ci_high": None}
    if n_t == 0 or n_c == 0:
        return out
    rate_t, rate_c = conv_t / n_t, conv_c / n_c
    low, high = confint_proportions_2indep(conv_t, n_t, conv_c, n_c, method="newcomb", compare="diff", alpha=ALPHA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = float(test_proportions_2indep(conv_t, n_t, conv_c, n_c, method="score", compare="diff").pvalue)
    if np.isnan(p_value):  # neither group varies: no evidence of any difference
        p_value = 1.0
    out.update(treatment_conversion_rate=rate_t, control_conversion_rate=rate_c, uplift=rate_t - rate_c,
               uplift_ci_low=float(low), uplift_ci_high=float(high), p_value=p_value)
    if conv_c > 0 and conv_t > 0:
        r_low, r_high = confint_proportions_2indep(conv_t, n_t, conv_c, n_c, method="log-adjusted",
                                                   compare="ratio", alpha=ALPHA)
        out.update(relative_uplift=rate_t / rate_c - 1, relative_uplift_ci_low=float(r_low) - 1,
                   relative_uplift_ci_high=float(r_high) - 1)
    return out


def incremental_revenue_interval(revenue_t: np.ndarray, revenue_c: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile bootstrap interval of (mean treatment revenue − mean control revenue) ×
    treatment persons."""
    n_t = len(revenue_t)
    if n_t < 2 or len(revenue_c) < 2:
        return (np.nan, np.nan)

    def statistic(t: np.ndarray, c: np.ndarray, axis: int = -1) -> np.ndarray:
        return (t.mean(axis=axis) - c.mean(axis=axis)) * n_t

    batch = max(1, BOOTSTRAP_VALUES_IN_MEMORY // (n_t + len(revenue_c)))
    result = stats.bootstrap((revenue_t, revenue_c), statistic, n_resamples=BOOTSTRAP_RESAMPLES,
                             confidence_level=1 - ALPHA, method="percentile", vectorized=True,
                             paired=False, batch=batch, rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def cell_result(persons: pd.DataFrame, min_group_persons: int, seed: int) -> dict:
    """One cell's result from its assigned persons (`assigned_group`, `converted`,
    `orders_in_window`, `revenue_in_window`)."""
    treatment = persons[persons["assigned_group"] == "treatment"]
    control = persons[persons["assigned_group"] == "control"]
    n_t, n_c = len(treatment), len(control)
    conv_t, conv_c = int(treatment["converted"].sum()), int(control["converted"].sum())
    row = {"treatment_persons": n_t, "control_persons": n_c, "treatment_conversions": conv_t,
           "control_conversions": conv_c, **conversion_difference(conv_t, n_t, conv_c, n_c),
           "incremental_orders": None, "incremental_revenue": None, "incremental_revenue_ci_low": None,
           "incremental_revenue_ci_high": None, "is_small_cell": min(n_t, n_c) < min_group_persons}
    if n_t and n_c:
        revenue_t = treatment["revenue_in_window"].astype(float).to_numpy()
        revenue_c = control["revenue_in_window"].astype(float).to_numpy()
        row["incremental_orders"] = (treatment["orders_in_window"].mean() - control["orders_in_window"].mean()) * n_t
        row["incremental_revenue"] = (revenue_t.mean() - revenue_c.mean()) * n_t
        low, high = incremental_revenue_interval(revenue_t, revenue_c, seed)
        row["incremental_revenue_ci_low"] = None if np.isnan(low) else low
        row["incremental_revenue_ci_high"] = None if np.isnan(high) else high
    return row


def add_q_values(results: pd.DataFrame, family: list[str]) -> pd.DataFrame:
    """Benjamini–Hochberg q-values within each family of cells (rows sharing `family`)."""
    results = results.copy()
    results["q_value"] = np.nan
    for _, part in results.groupby(family, dropna=False):
        p_values = part["p_value"]
        known = p_values.notna()
        if known.any():
            results.loc[p_values[known].index, "q_value"] = multipletests(
                p_values[known].astype(float).to_numpy(), alpha=ALPHA, method="fdr_bh")[1]
    return results


def campaign_results(assignments: pd.DataFrame, min_group_persons: int,
                     segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per campaign (`scheme` = `segment_code` = `overall`): every person assigned to one
    group (conflicting assignments left out); and per campaign, scheme and segment when
    `segments` gives each assigned person's segment per scheme (`campaign_id`,
    `person_id`, `scheme`, `segment_code`: the segment before the campaign started).
    Families for the q-values: the campaigns' overall rows are one; the segments of one
    campaign in one scheme are another (the segments looked at together)."""
    analysed = assignments[~assignments["is_conflicting"].astype(bool)]
    rows = []
    for campaign_id, persons in analysed.groupby("campaign_id", sort=True):
        rows.append({"campaign_id": campaign_id, "scheme": "overall", "segment_code": "overall",
                     **cell_result(persons, min_group_persons, _seed(str(campaign_id), "overall"))})
    if segments is not None and len(segments):
        outcome_columns = ["campaign_id", "person_id", "assigned_group", "converted", "orders_in_window",
                           "revenue_in_window"]
        cells = segments[["campaign_id", "person_id", "scheme", "segment_code"]].merge(
            analysed[outcome_columns], on=["campaign_id", "person_id"], how="inner")
        for (campaign_id, scheme, segment_code), persons in cells.groupby(
                ["campaign_id", "scheme", "segment_code"], sort=True):
            rows.append({"campaign_id": campaign_id, "scheme": scheme, "segment_code": segment_code,
                         **cell_result(persons, min_group_persons,
                                       _seed(str(campaign_id), str(scheme), str(segment_code)))})
    results = pd.DataFrame(rows, columns=[c for c in RESULT_COLUMNS if c != "q_value"])
    overall = results["scheme"] == "overall"
    results = pd.concat([add_q_values(results[overall], ["scheme"]),
                         add_q_values(results[~overall], ["campaign_id", "scheme"])])
    return results.sort_values(["campaign_id", "scheme", "segment_code"], kind="stable")[RESULT_COLUMNS] \
        .reset_index(drop=True)


__all__ = ["campaign_results", "cell_result", "conversion_difference", "incremental_revenue_interval",
           "add_q_values", "RESULT_COLUMNS", "ALPHA"]
