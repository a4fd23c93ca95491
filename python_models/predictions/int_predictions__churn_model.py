"""The churn model (thin wrapper; logic in portrait.churn.model.fit_churn): a calibrated
gradient-boosting classifier fitted on the `train` snapshot of `int_churn__snapshots`,
checked on a time-split holdout. One row, the current fit, refitted on the schedule of
`portrait.refit`; `int_predictions__churn` applies it."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.model_threads import fit_threads
    from portrait.imports import fitted_at
    import json
    import pandas as pd
    from portrait.churn.model import fit_churn, read_snapshots
    from portrait.refit import fit_or_reuse


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="model_name")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        settings = {"seed": int(dbt.config.get("seed"))}
        as_of = dbt.ref("int_profile__as_of_date").df()["as_of_date"].iloc[0]

        def fit():
            # the two training snapshots only: the `score` rows are a third of the table
            training = read_snapshots(dbt.ref("int_churn__snapshots"), ("holdout_train", "train"))
            fitted = fit_churn(training, seed=settings["seed"])
            return pd.DataFrame([{"model_name": "churn", "fitted_at": fitted_at(), "as_of_date": as_of,
                                  "status": fitted.status, "fitted_rows": int(fitted.metrics["train_rows"]),
                                  "metrics": json.dumps(fitted.metrics), "estimator": fitted.estimator_text()}])

        rows = fit_or_reuse(dbt, session, as_of=as_of, settings=settings, fit=fit,
                            refit_after_days=int(dbt.config.get("refit_after_days")))
    return rows
