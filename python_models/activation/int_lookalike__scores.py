"""Lookalike scores of every person outside each lookalike audience's seed (thin wrapper;
logic in portrait.activation.lookalike): the seed is the seed audience's current members,
the features `int_persona__features`; the top `size` become the audience's members, with
the sticky control draw of every audience."""

from portrait.imports import serial_imports

with serial_imports():
    import pandas as pd
    from portrait.activation.audiences import is_control, load
    from portrait.activation.lookalike import score
    from portrait.model_threads import fit_threads


def model(dbt, session):
    dbt.config(materialized="table")
    members = dbt.ref("int_audience__members").df()
    features = dbt.ref("int_persona__features").df()
    frames = []
    for code, audience in sorted(load().items()):
        if not audience.lookalike:
            continue
        seed = set(members.loc[members["audience_code"] == audience.lookalike.seed, "person_id"])
        if len(seed) < 5:
            continue  # too small a seed to learn from: the audience is empty (dim_audience says 0)
        try:
            with fit_threads():
                scored = score(features, seed)
        except ValueError:
            continue  # nothing to learn from (no varying feature): the audience is empty tonight
        scored.insert(0, "audience_code", code)
        scored["is_member"] = scored["rank"] <= audience.lookalike.size
        scored["is_control"] = [bool(m) and is_control(code, p, audience.control_share)
                                for p, m in zip(scored["person_id"], scored["is_member"])]
        frames.append(scored)
    columns = ["audience_code", "person_id", "score", "rank", "is_member", "is_control"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            columns, ["object", "object", "float64", "int64", "bool", "bool"])})
    return pd.concat(frames, ignore_index=True)[columns]
