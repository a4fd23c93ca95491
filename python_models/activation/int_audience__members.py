"""Current members of every audience (thin wrapper; logic in portrait.activation.audiences):
the audiences of models/activation/audiences/ are loaded, checked against the marts this
build published (an unknown column, tag or segment fails the model, naming the audience),
compiled to SQL over them and run here, with each member's sticky control draw."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.activation.audiences import load_checked, members_sql


def model(dbt, session):
    dbt.config(materialized="table")
    # The marts the compiled SQL reads by their schema-qualified names: built before this
    # (dbt reads these literal refs for the lineage).
    dbt.ref("dim_person")
    dbt.ref("fct_person_metrics")
    dbt.ref("fct_person_tags")
    dbt.ref("dim_tag")
    dbt.ref("agg_segment_summary")
    audiences, catalog = load_checked(session)
    return session.sql(members_sql(audiences, catalog))
