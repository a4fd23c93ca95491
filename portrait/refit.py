"""Scheduled refits of the prediction models (persona, LTV, churn).

Each fit model (`int_predictions__<name>_model`) is an incremental dbt Python model holding
one row: the current fit. A nightly run reuses that row, and the scoring models apply it to
the day's data, unless the fit must be redone:

- there is no earlier fit (first build, `--full-refresh`, or the table was dropped);
- the earlier fit was not `fitted` (too thin then; data grows, so try again each run);
- the model's settings (its config and the portrait version) have changed;
- the as-of date moved back (a rebuild of the past), or the fit is
  `portrait__refit_after_days` days old or more (default 7; 0 refits every run).

`fit_reason` on the row says why its fit ran. A reused fit keeps its own `fitted_at`, so
`fct_model_runs` (keyed by the fit's time) logs each fit once.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

import portrait


def fit_settings(**settings) -> str:
    """The settings a fit depends on, as canonical JSON (stored in `fit_settings`)."""
    return json.dumps({"portrait_version": portrait.__version__, **settings}, sort_keys=True, default=str)


def previous_fit(dbt, session) -> pd.DataFrame | None:
    """The fit model's current row, or None on a first build or a full refresh."""
    if not dbt.is_incremental:
        return None
    rows = session.sql(f"select * from {dbt.this} order by fitted_at desc limit 1").df()
    return rows if len(rows) else None


def _as_date(value) -> dt.date:
    return pd.Timestamp(value).date()


def refit_reason(previous: pd.DataFrame | None, as_of, settings: str, refit_after_days: int) -> str | None:
    """Why the model must be fitted this run, or None to reuse `previous`."""
    if previous is None:
        return "no earlier fit"
    row = previous.iloc[0]
    if row.get("status") != "fitted":
        return f"earlier fit was {row.get('status')}"
    if row.get("fit_settings") != settings:
        return "settings changed"
    age = (_as_date(as_of) - _as_date(row["as_of_date"])).days
    if age < 0:
        return f"as-of date moved back {-age} days"
    if age >= refit_after_days:
        return f"earlier fit {age} days old (refit after {refit_after_days})"
    return None


def fit_or_reuse(dbt, session, *, as_of, settings: dict, refit_after_days: int, fit) -> pd.DataFrame:
    """The fit model's one row: the previous one when still current, else `fit()` (a
    one-row DataFrame without the bookkeeping columns) with `fit_settings` and `fit_reason`.
    (The model passes `dbt.config.get("refit_after_days")`: dbt hands a Python model only
    the config keys its own file reads.)"""
    if refit_after_days < 0:
        raise ValueError(f"portrait__refit_after_days must be 0 or more, not {refit_after_days}")
    settings_text = fit_settings(**settings)
    previous = previous_fit(dbt, session)
    reason = refit_reason(previous, as_of, settings_text, refit_after_days)
    if reason is None:
        return previous
    fitted = fit()
    return fitted.assign(fit_settings=settings_text, fit_reason=reason)
