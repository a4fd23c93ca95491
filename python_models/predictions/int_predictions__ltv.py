"""Customer lifetime value per buyer (thin wrapper; logic in portrait.ltv.score):
BG/NBD + Gamma-Gamma fitted by MAP with flat priors on `int_ltv__purchase_summary`."""

from portrait.ltv.score import score_customers


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_ltv__purchase_summary").df()
    return score_customers(
        summary,
        discount_rate_monthly=float(dbt.config.get("discount_rate_monthly")),
        tier_cutoffs=dict(dbt.config.get("ltv_tier_cutoffs")),
    )
