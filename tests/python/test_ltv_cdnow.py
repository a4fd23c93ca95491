"""The CLV models reproduce the literature on the CDNOW sample (issue 6)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from portrait.ltv.cdnow import PUBLISHED, cdnow_transactions
from portrait.ltv.models import rfm_summary


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


def test_calibration_summary_counts_one_purchase_per_day_in_weeks() -> None:
    transactions = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2, 3],
        "date": pd.to_datetime(["1997-01-01", "1997-01-01", "1997-01-15", "1997-10-05",
                                "1997-09-30", "1997-01-08"]),
        "amount": [10.0, 5.0, 20.0, 99.0, 7.0, 3.0],
    })
    summary = rfm_summary(transactions, pd.Timestamp("1997-09-30")).set_index("customer_id")
    assert summary.loc[1, "frequency"] == 1  # two purchases on Jan 1 are one day; Oct 5 is after the end
    assert summary.loc[1, "recency"] == pytest.approx(2.0)  # 14 days
    assert summary.loc[1, "T"] == pytest.approx(272 / 7)
    assert summary.loc[1, "monetary_value"] == pytest.approx(20.0)  # repeat days only
    assert summary.loc[2, "T"] == 0 and summary.loc[2, "monetary_value"] == 0
    assert summary.loc[3, "frequency"] == 0


def test_cdnow_sample_is_the_literature_sample() -> None:
    summary = rfm_summary(cdnow_transactions(), pd.Timestamp("1997-09-30"))
    assert len(summary) == 2357
    assert int((summary["frequency"] > 0).sum()) == 946


@pytest.fixture(scope="module")
def cdnow_fit() -> dict:
    """`portrait eval ltv-cdnow --json`, run as a user would."""
    result = subprocess.run([sys.executable, "-m", "portrait", "eval", "ltv-cdnow", "--json"],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("key", ["r", "alpha", "a", "b", "p", "q", "gamma"])
def test_fit_reproduces_published_estimates_to_three_significant_digits(cdnow_fit: dict, key: str) -> None:
    assert _significant(cdnow_fit[key]) == _significant(PUBLISHED[key])


def test_bgnbd_log_likelihood_matches_the_paper(cdnow_fit: dict) -> None:
    assert math.isclose(cdnow_fit["loglik_bgnbd"], PUBLISHED["loglik_bgnbd"], abs_tol=0.05)
