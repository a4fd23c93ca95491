"""BG/NBD and Gamma-Gamma fits (pymc-marketing, MAP with HalfFlat priors) and the RFM
summary they read, as pure functions on DataFrames."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")


def rfm_summary(transactions: pd.DataFrame, end: pd.Timestamp, period_days: float = 7.0) -> pd.DataFrame:
    """The calibration summary of the CLV literature from transactions up to `end`.

    transactions: `customer_id`, `date` (datetime64), `amount`. Purchases on one day count
    once (their amounts summed). Per customer: `frequency` (repeat purchase days),
    `recency` (first to last purchase) and `T` (first purchase to `end`), both in periods
    of `period_days` (weeks by default); `monetary_value`, the mean amount of the repeat
    purchase days (0 without repeats: the Gamma-Gamma model reads repeat buyers only).
    """
    calibration = transactions[transactions["date"] <= end]
    days = calibration.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["date"].transform("min")
    per_customer = days.assign(is_repeat=days["date"] > first).groupby("customer_id")
    summary = pd.DataFrame({
        "frequency": per_customer["date"].count() - 1,
        "recency": (per_customer["date"].max() - per_customer["date"].min()).dt.days / period_days,
        "T": (end - per_customer["date"].min()).dt.days / period_days,
    })
    repeat_amounts = days[days["date"] > first].groupby("customer_id")["amount"].mean()
    summary["monetary_value"] = repeat_amounts.reindex(summary.index).fillna(0.0)
    return summary.rename_axis("customer_id").reset_index()


def _flat_priors(names: tuple[str, ...]) -> dict:
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence pymc's sampler chatter and deprecation warnings during a fit only (the
    caller's logging and warning settings are restored afterwards)."""
    loggers = [logging.getLogger(name) for name in ("pymc", "pytensor", "pymc_marketing")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def _point(model, names: tuple[str, ...]) -> dict[str, float]:
    posterior = model.idata.posterior
    return {name: float(np.asarray(posterior[name]).squeeze()) for name in names}


def fit_bgnbd(summary: pd.DataFrame):
    """Fit BG/NBD to `customer_id`, `frequency`, `recency`, `T` by MAP under flat priors.
    Returns the fitted pymc-marketing `BetaGeoModel`."""
    from pymc_marketing.clv import BetaGeoModel

    with _quiet():
        model = BetaGeoModel(data=summary[["customer_id", "frequency", "recency", "T"]],
                             model_config=_flat_priors(BGNBD_PARAMETERS))
        model.fit(method="map", progressbar=False)
    return model


def fit_gamma_gamma(summary: pd.DataFrame):
    """Fit Gamma-Gamma to the repeat buyers (`frequency` > 0) of `customer_id`,
    `frequency`, `monetary_value` by MAP under flat priors. Returns the fitted model."""
    from pymc_marketing.clv import GammaGammaModel

    repeat_buyers = summary[summary["frequency"] > 0]
    with _quiet():
        model = GammaGammaModel(data=repeat_buyers[["customer_id", "frequency", "monetary_value"]],
                                model_config=_flat_priors(GAMMA_GAMMA_PARAMETERS))
        model.fit(method="map", progressbar=False)
    return model


def bgnbd_parameters(model) -> dict[str, float]:
    return _point(model, BGNBD_PARAMETERS)


def gamma_gamma_parameters(model) -> dict[str, float]:
    return _point(model, GAMMA_GAMMA_PARAMETERS)


def bgnbd_log_likelihood(model) -> float:
    """The data log-likelihood at the fitted point, from the model's own graph (flat priors
    add nothing; the log-transform Jacobian is left out)."""
    values = bgnbd_parameters(model)
    point = {}
    for key in model.model.initial_point():
        name = key.removesuffix("_log__")
        point[key] = float(np.log(values[name])) if key.endswith("_log__") else values[name]
    return float(model.model.compile_logp(jacobian=False)(point))


def _with_point(model, values: dict[str, float]):
    """`model` (built, not fitted) carrying `values` as its one-draw posterior, so its
    prediction methods run without a new fit."""
    import arviz as az
    import xarray as xr

    with _quiet():
        model.build_model()
        model.idata = az.InferenceData(posterior=xr.Dataset(
            {name: (("chain", "draw"), np.array([[value]])) for name, value in values.items()}))
    return model


def bgnbd_from_parameters(summary: pd.DataFrame, values: dict[str, float]):
    """A pymc-marketing `BetaGeoModel` on `summary` with the given r, alpha, a, b."""
    from pymc_marketing.clv import BetaGeoModel

    model = BetaGeoModel(data=summary[["customer_id", "frequency", "recency", "T"]],
                         model_config=_flat_priors(BGNBD_PARAMETERS))
    return _with_point(model, {name: values[name] for name in BGNBD_PARAMETERS})


def gamma_gamma_from_parameters(summary: pd.DataFrame, values: dict[str, float]):
    """A pymc-marketing `GammaGammaModel` on the repeat buyers of `summary` with the given
    p, q, v."""
    from pymc_marketing.clv import GammaGammaModel

    repeat_buyers = summary[summary["frequency"] > 0]
    model = GammaGammaModel(data=repeat_buyers[["customer_id", "frequency", "monetary_value"]],
                            model_config=_flat_priors(GAMMA_GAMMA_PARAMETERS))
    return _with_point(model, {name: values[name] for name in GAMMA_GAMMA_PARAMETERS})
