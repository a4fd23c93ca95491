"""The persona model (thin wrapper; logic in portrait.persona.clustering): k-means on the
standardised persona features, k chosen by split-half stability, centroids in canonical
order with derived zh/en names. One row per run; `int_predictions__persona` applies it."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.imports import fitted_at
    import pandas as pd
    from portrait.persona.clustering import fit_personas


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_persona__features").df()
    fitted = fit_personas(
        features,
        k_min=int(dbt.config.get("k_min")),
        k_max=int(dbt.config.get("k_max")),
        min_stability=float(dbt.config.get("min_stability")),
        seed=int(dbt.config.get("seed")),
    )
    as_of = dbt.ref("int_profile__as_of_date").df()["as_of_date"].iloc[0]
    return pd.DataFrame([{"model_name": "persona", "fitted_at": fitted_at(), "as_of_date": as_of, **fitted.to_row()}])
