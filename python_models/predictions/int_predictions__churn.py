"""Churn propensity per buyer (thin wrapper; logic in portrait.churn.model.score_churn):
the probability of no purchase in the next 90 days, and its risk band."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.model_threads import fit_threads
    from portrait.churn.model import ChurnModel, read_snapshots, score_churn


def model(dbt, session):
    dbt.config(materialized="table")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        snapshots = read_snapshots(dbt.ref("int_churn__snapshots"), ("score",))
        fitted = dbt.ref("int_predictions__churn_model").df()
        estimator = ChurnModel.load_estimator(fitted["estimator"].iloc[0])
        rows = score_churn(snapshots, estimator, cutoffs=dict(dbt.config.get("risk_band_cutoffs")))
    return rows
