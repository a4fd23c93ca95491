"""The persona features: which columns of `int_persona__features` are clustered, how each
is transformed, imputed and scaled. Pure functions on DataFrames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: (column, transform). `log`: log(1 + x), x clipped at 0 (rates, counts, money, days).
#: `share`: the value clipped to [0, 1]. `plain`: as is.
FEATURES: tuple[tuple[str, str], ...] = (
    ("tenure_days", "log"),
    ("orders_per_year", "log"),
    ("sessions_per_30d", "log"),
    ("events_per_session", "log"),
    ("avg_order_value", "log"),
    ("avg_unit_price", "log"),
    ("lines_per_order", "log"),
    ("discount_share", "share"),
    ("store_order_share", "share"),
    ("miniprogram_event_share", "share"),
    ("evening_event_share", "share"),
    ("content_engagement_share", "share"),
    ("cart_add_share", "share"),
    ("share_event_share", "share"),
    ("days_since_last_active", "log"),
    ("age_years_approx", "plain"),
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)


@dataclass(frozen=True)
class Scaler:
    """Per feature: the imputation value (median of the fitted rows, after the transform),
    the mean and the standard deviation used to standardise."""

    median: dict[str, float]
    mean: dict[str, float]
    std: dict[str, float]

    def to_dict(self) -> dict:
        return {"median": self.median, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, data: dict) -> Scaler:
        return cls(median=data["median"], mean=data["mean"], std=data["std"])


def transform(frame: pd.DataFrame) -> pd.DataFrame:
    """The transformed (not yet imputed) feature columns of `frame`, NaN where missing
    (no orders: basket features; no events: event shares; unknown age)."""
    out = {}
    for name, kind in FEATURES:
        values = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        if kind == "log":
            values = np.log1p(values.clip(lower=0))
        elif kind == "share":
            values = values.clip(lower=0, upper=1)
        out[name] = values
    return pd.DataFrame(out, index=frame.index)


def fit_scaler(frame: pd.DataFrame) -> Scaler:
    """Medians, means and standard deviations of the transformed features of `frame`."""
    values = transform(frame)
    median = values.median().fillna(0.0)
    imputed = values.fillna(median)
    std = imputed.std(ddof=0).replace(0.0, 1.0).fillna(1.0)
    return Scaler(median={k: float(v) for k, v in median.items()},
                  mean={k: float(v) for k, v in imputed.mean().items()},
                  std={k: float(v) for k, v in std.items()})


def scale(frame: pd.DataFrame, scaler: Scaler) -> np.ndarray:
    """The standardised feature matrix (rows of `frame`, columns `FEATURE_NAMES`)."""
    values = transform(frame).fillna(pd.Series(scaler.median))
    mean = pd.Series(scaler.mean)[list(FEATURE_NAMES)]
    std = pd.Series(scaler.std)[list(FEATURE_NAMES)]
    return ((values[list(FEATURE_NAMES)] - mean) / std).to_numpy(dtype=np.float64)
