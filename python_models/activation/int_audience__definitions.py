"""One row per audience declared in models/activation/audiences/ (thin wrapper; logic in
portrait.activation.audiences): its names, owner, description, definition as text, channels,
cap, control share and the SQL it compiles to over the published marts."""

from portrait.imports import serial_imports

with serial_imports():
    import pandas as pd
    from portrait.activation.audiences import compile_sql, load_checked


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
    rows = [{
        "audience_code": a.code, "name_zh": a.name_zh, "name_en": a.name_en, "owner": a.owner,
        "description": a.description, "extends_audience": a.extends, "definition": a.definition(),
        "channels": ",".join(a.channels), "cap_size": a.cap.size if a.cap else None,
        "control_share": a.control_share, "compiled_sql": compile_sql(a.code, audiences, catalog),
        "source_file": a.source.name,
    } for a in audiences.values()]
    frame = pd.DataFrame(rows, columns=["audience_code", "name_zh", "name_en", "owner", "description",
                                        "extends_audience", "definition", "channels", "cap_size", "control_share",
                                        "compiled_sql", "source_file"])
    frame["cap_size"] = frame["cap_size"].astype("Int64")
    return frame
