"""Validation against the literature: the CDNOW sample (2,357 customers) that ships with
the `lifetimes` wheel, with the 39-week calibration period of Fader, Hardie & Lee (2005)
and Fader & Hardie's Gamma-Gamma note."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from portrait.ltv.models import (
    bgnbd_log_likelihood,
    bgnbd_parameters,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_parameters,
    rfm_summary,
)

CALIBRATION_END = pd.Timestamp("1997-09-30")

#: Published estimates: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the
#: easy way"), Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik_bgnbd": -9582.4,
             "p": 6.25, "q": 3.74, "gamma": 15.44}


def cdnow_sample_path() -> Path:
    import lifetimes

    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    if not path.exists():
        raise FileNotFoundError(f"the CDNOW sample is not in the lifetimes wheel: {path}")
    return path


def cdnow_transactions(path: Path | None = None) -> pd.DataFrame:
    """Raw CDNOW transactions (no header: master id, sample id, yyyymmdd, CDs, dollars)
    as `customer_id`, `date`, `amount`."""
    raw = pd.read_csv(path or cdnow_sample_path(), sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
    return raw.assign(date=pd.to_datetime(raw["date"], format="%Y%m%d"))[["customer_id", "date", "amount"]]


def evaluate_cdnow() -> dict[str, float]:
    """Fit both models on the CDNOW calibration summary; the docs/contracts.md keys
    `r`, `alpha`, `a`, `b`, `p`, `q`, `gamma`, `loglik_bgnbd`, plus the published values."""
    summary = rfm_summary(cdnow_transactions(), CALIBRATION_END)
    bgnbd = fit_bgnbd(summary)
    gamma_gamma = fit_gamma_gamma(summary)
    spend = gamma_gamma_parameters(gamma_gamma)
    result = {
        **bgnbd_parameters(bgnbd),
        "p": spend["p"],
        "q": spend["q"],
        "gamma": spend["v"],
        "loglik_bgnbd": bgnbd_log_likelihood(bgnbd),
        "customers": int(len(summary)),
        "repeat_buyers": int((summary["frequency"] > 0).sum()),
    }
    return {**{key: round(value, 6) if isinstance(value, float) else value for key, value in result.items()},
            "published": PUBLISHED}
