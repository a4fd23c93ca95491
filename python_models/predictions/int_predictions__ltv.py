"""Customer lifetime value per buyer (thin wrapper; logic in portrait.ltv.score): scores
`int_ltv__purchase_summary` with the parameters of `int_predictions__ltv_model`."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.model_threads import fit_threads
    import json
    from portrait.ltv.score import score_customers
    import pymc_marketing.clv  # noqa: F401  (loaded here, not on first use mid-fit)


def model(dbt, session):
    dbt.config(materialized="table")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        summary = dbt.ref("int_ltv__purchase_summary").df()
        fitted = dbt.ref("int_predictions__ltv_model").df()
        fit = {"status": fitted["status"].iloc[0], **json.loads(fitted["metrics"].iloc[0])}
        rows = score_customers(
            summary,
            discount_rate_monthly=float(dbt.config.get("discount_rate_monthly")),
            tier_cutoffs=dict(dbt.config.get("ltv_tier_cutoffs")),
            fit=fit,
        )
    return rows
