"""The CLV models' fit (thin wrapper; logic in portrait.ltv.score.fit_ltv): BG/NBD and
Gamma-Gamma by MAP with flat priors on `int_ltv__purchase_summary`. One row per run;
`int_predictions__ltv` scores with its parameters."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.imports import fitted_at
    import json
    import pandas as pd
    from portrait.ltv.score import backtest_ltv, fit_ltv
    import pymc_marketing.clv  # noqa: F401  (loaded here, not on first use mid-fit)


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_ltv__purchase_summary").df()
    fit = fit_ltv(summary)
    as_of = dbt.ref("int_profile__as_of_date").df()["as_of_date"].iloc[0]
    backtest = dbt.ref("int_ltv__backtest_summary").df()
    parameters = {key: value for key, value in fit.items() if key not in ("status", "buyers", "repeat_buyers")}
    if fit["status"] == "fitted":
        parameters.update(backtest_ltv(backtest, days=int(dbt.config.get("backtest_days"))))
    return pd.DataFrame([{"model_name": "ltv", "fitted_at": fitted_at(), "as_of_date": as_of, "status": fit["status"],
                          "fitted_rows": fit["buyers"], "repeat_buyers": fit["repeat_buyers"],
                          "metrics": json.dumps(parameters)}])
