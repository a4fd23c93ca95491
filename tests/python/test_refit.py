"""When a prediction model is refitted (`portrait.refit.refit_reason`), without dbt."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from portrait.refit import fit_or_reuse, fit_settings, refit_reason

SETTINGS = fit_settings(seed=42)
AS_OF = dt.date(2026, 6, 30)


def _previous(status: str = "fitted", as_of: dt.date = AS_OF, settings: str = SETTINGS) -> pd.DataFrame:
    return pd.DataFrame([{"model_name": "m", "fitted_at": pd.Timestamp("2026-07-01 02:00"), "status": status,
                          "as_of_date": pd.Timestamp(as_of), "fit_settings": settings, "fit_reason": "no earlier fit"}])


@pytest.mark.parametrize(("previous", "as_of", "after", "reason"), [
    (None, AS_OF, 7, "no earlier fit"),
    (_previous(), AS_OF, 7, None),
    (_previous(), AS_OF + dt.timedelta(days=6), 7, None),
    (_previous(), AS_OF + dt.timedelta(days=7), 7, "earlier fit 7 days old (refit after 7)"),
    (_previous(), AS_OF, 0, "earlier fit 0 days old (refit after 0)"),
    (_previous(), AS_OF - dt.timedelta(days=2), 7, "as-of date moved back 2 days"),
    (_previous(status="too_thin"), AS_OF, 7, "earlier fit was too_thin"),
    (_previous(settings=fit_settings(seed=7)), AS_OF, 7, "settings changed"),
    (_previous().drop(columns=["fit_settings"]), AS_OF, 7, "settings changed"),  # a fit from before scheduling
])
def test_refit_reason(previous, as_of, after, reason) -> None:
    assert refit_reason(previous, pd.Timestamp(as_of), SETTINGS, after) == reason


class _Dbt:
    """The two members of dbt-duckdb's `dbt` object that `fit_or_reuse` reads."""

    def __init__(self, incremental: bool) -> None:
        self.is_incremental = incremental
        self.this = "intermediate.int_predictions__m_model"


class _Session:
    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows

    def sql(self, query: str):
        assert "from intermediate.int_predictions__m_model" in query
        rows = self.rows
        return type("Relation", (), {"df": lambda self: rows})()


def test_fit_or_reuse_returns_the_stored_row_or_a_new_fit_with_its_reason() -> None:
    fits = []

    def fit() -> pd.DataFrame:
        fits.append(1)
        return pd.DataFrame([{"model_name": "m", "status": "fitted", "as_of_date": pd.Timestamp(AS_OF)}])

    stored = _previous()
    reused = fit_or_reuse(_Dbt(True), _Session(stored), as_of=AS_OF, settings={"seed": 42}, refit_after_days=7, fit=fit)
    assert reused is stored and not fits
    first = fit_or_reuse(_Dbt(False), _Session(stored), as_of=AS_OF, settings={"seed": 42}, refit_after_days=7, fit=fit)
    assert fits == [1]
    assert first[["fit_settings", "fit_reason"]].iloc[0].tolist() == [SETTINGS, "no earlier fit"]
    with pytest.raises(ValueError, match="portrait__refit_after_days must be 0 or more"):
        fit_or_reuse(_Dbt(True), _Session(stored), as_of=AS_OF, settings={}, refit_after_days=-1, fit=fit)
