"""Persona per person (thin wrapper; logic in portrait.persona.clustering.assign_personas):
the nearest centroid of `int_predictions__persona_model`, `unscored` for persons with too
little behaviour or when the model could not be fitted."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.model_threads import fit_threads
    from portrait.persona.clustering import PersonaModel, assign_personas


def model(dbt, session):
    dbt.config(materialized="table")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        features = dbt.ref("int_persona__features").df()
        fitted = dbt.ref("int_predictions__persona_model").df()
        rows = assign_personas(features, PersonaModel.from_row(fitted.iloc[0].to_dict()))
    return rows
