"""The persona model (thin wrapper; logic in portrait.persona.clustering): k-means on the
standardised persona features, k chosen by split-half stability, centroids in canonical
order with derived zh/en names. One row, the current fit, refitted on the schedule of
`portrait.refit`; `int_predictions__persona` applies it."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.model_threads import fit_threads
    from portrait.imports import fitted_at
    import pandas as pd
    from portrait.persona.clustering import fit_personas
    from portrait.refit import fit_or_reuse


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="model_name")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        settings = {"k_min": int(dbt.config.get("k_min")), "k_max": int(dbt.config.get("k_max")),
                    "min_stability": float(dbt.config.get("min_stability")), "seed": int(dbt.config.get("seed"))}
        as_of = dbt.ref("int_profile__as_of_date").df()["as_of_date"].iloc[0]

        def fit():
            fitted = fit_personas(
                dbt.ref("int_persona__features").df(),
                k_min=settings["k_min"],
                k_max=settings["k_max"],
                min_stability=settings["min_stability"],
                seed=settings["seed"],
            )
            return pd.DataFrame([{"model_name": "persona", "fitted_at": fitted_at(), "as_of_date": as_of, **fitted.to_row()}])

        rows = fit_or_reuse(dbt, session, as_of=as_of, settings=settings, fit=fit,
                            refit_after_days=int(dbt.config.get("refit_after_days")))
    return rows
