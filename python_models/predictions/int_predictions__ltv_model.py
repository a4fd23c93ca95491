"""The CLV models' fit (thin wrapper; logic in portrait.ltv.score.fit_ltv): BG/NBD and
Gamma-Gamma by MAP with flat priors on `int_ltv__purchase_summary`. One row, the current
fit, refitted on the schedule of `portrait.refit`; `int_predictions__ltv` scores with its
parameters."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.model_threads import fit_threads
    from portrait.imports import fitted_at
    import json
    import pandas as pd
    from portrait.ltv.score import backtest_ltv, fit_ltv
    from portrait.refit import fit_or_reuse
    import pymc_marketing.clv  # noqa: F401  (loaded here, not on first use mid-fit)


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="model_name")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        settings = {"backtest_days": int(dbt.config.get("backtest_days"))}
        as_of = dbt.ref("int_profile__as_of_date").df()["as_of_date"].iloc[0]

        def fit():
            fitted = fit_ltv(dbt.ref("int_ltv__purchase_summary").df())
            parameters = {key: value for key, value in fitted.items() if key not in ("status", "buyers", "repeat_buyers")}
            if fitted["status"] == "fitted":
                parameters.update(backtest_ltv(dbt.ref("int_ltv__backtest_summary").df(), days=settings["backtest_days"]))
            return pd.DataFrame([{"model_name": "ltv", "fitted_at": fitted_at(), "as_of_date": as_of,
                                  "status": fitted["status"], "fitted_rows": fitted["buyers"],
                                  "repeat_buyers": fitted["repeat_buyers"], "metrics": json.dumps(parameters)}])

        rows = fit_or_reuse(dbt, session, as_of=as_of, settings=settings, fit=fit,
                            refit_after_days=int(dbt.config.get("refit_after_days")))
    return rows
