"""Persona per person on each past evaluation date (thin wrapper; logic in
portrait.persona.clustering.assign_personas): the current persona model
(`int_predictions__persona_model`) applied to the features of each earlier date
(`int_persona__features_by_date`), so the persona history uses today's personas and their
codes throughout. Only persons with enough behaviour on that date are scored here; the
rest are `unscored` in `int_segments__persona`. Scored one date at a time, so memory holds
one date's persons."""

from portrait.imports import serial_imports

with serial_imports():
    import pandas as pd
    from portrait.model_threads import fit_threads
    from portrait.persona.clustering import PersonaModel, assign_personas

COLUMNS = ["person_id", "as_of_date", "persona_code", "persona_name_zh", "persona_name_en", "persona_confidence"]


def model(dbt, session):
    dbt.config(materialized="table")
    with fit_threads():  # OpenMP threads beside DuckDB's (portrait.model_threads)
        fitted_rows = dbt.ref("int_predictions__persona_model").df()
        fitted = PersonaModel.from_row(fitted_rows.iloc[0].to_dict())
        past = dbt.ref("int_persona__features_by_date").filter("not is_current and is_eligible")
        dates = sorted(row[0] for row in past.aggregate("as_of_date", "as_of_date").fetchall())
        parts = [pd.DataFrame({column: pd.Series(dtype="object") for column in COLUMNS})]
        for as_of_date in dates:
            scored = assign_personas(past.filter(f"as_of_date = date '{as_of_date}'").df(), fitted)
            scored["as_of_date"] = as_of_date
            parts.append(scored[COLUMNS])
        frame = pd.concat(parts, ignore_index=True)
        frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame
