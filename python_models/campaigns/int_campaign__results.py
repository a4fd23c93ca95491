"""Campaign results, treatment against control, per campaign and per campaign, scheme and
segment (the segment of the day before the campaign started); thin wrapper: the
statistics are in portrait.campaigns.results and docs/campaigns.md says which and why."""

from portrait.imports import serial_imports

with serial_imports():
    from portrait.campaigns.results import campaign_results


def model(dbt, session):
    dbt.config(materialized="table")
    assignments = dbt.ref("int_campaign__assignments").df()
    segments = dbt.ref("int_campaign__assignment_segments").df()
    return campaign_results(assignments, int(dbt.config.get("min_group_persons")), segments)
