"""Writes the YAML of `fct_person_metrics` from `int_person_metrics`' column descriptions.

The published metrics mart has the same columns as the private model, less its
demographics (macro `person_metrics_private_columns`), so its descriptions are copied,
never typed twice: `python -m portrait.activation.metrics_docs` rewrites
`models/marts/profile/_person_metrics__models.yml`, and tests/python/test_activation.py
fails when the file differs from what this writes.
"""

from __future__ import annotations

import re
import sys

import yaml

from portrait.paths import PROJECT_DIR

SOURCE = PROJECT_DIR / "models" / "intermediate" / "profile" / "_profile__models.yml"
MACRO = PROJECT_DIR / "macros" / "profile" / "person_metrics_columns.sql"
TARGET = PROJECT_DIR / "models" / "marts" / "profile" / "_person_metrics__models.yml"

HEADER = """\
# Generated from int_person_metrics' column descriptions by
# `python -m portrait.activation.metrics_docs` (tests/python/test_activation.py checks it):
# edit the descriptions in models/intermediate/profile/_profile__models.yml, then regenerate.
version: 2

models:
  - name: fct_person_metrics
    description: >
      Every behavioural, transactional, service, marketing and survey metric of a person
      as of the as-of date, one row per person, over the windows of
      `portrait__metric_windows` (7/30/90/365 days, the as-of day included) and lifetime:
      windowed metrics are named `<measure>_<window>`. Published for BI and for audience
      predicates (docs/activation.md); demographics are in `dim_person`. No PII.
    columns:
"""
PERSON_ID_TESTS = """\
        data_tests:
          - unique
          - not_null
          - relationships:
              arguments:
                to: ref('dim_person')
                field: person_id
"""


def private_columns() -> set[str]:
    return set(re.findall(r"'([a-z_]+)'", MACRO.read_text().split("return(", 1)[1].split(")", 1)[0]))


def render() -> str:
    models = yaml.safe_load(SOURCE.read_text())["models"]
    source = next(m for m in models if m["name"] == "int_person_metrics")
    private = private_columns()
    lines = [HEADER]
    for column in source["columns"]:
        if column["name"] in private:
            continue
        description = " ".join(str(column.get("description", "")).split()).replace('"', '\\"')
        lines.append(f"      - name: {column['name']}\n        description: \"{description}\"\n")
        if column["name"] == "person_id":
            lines.append(PERSON_ID_TESTS)
    return "".join(lines)


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}", file=sys.stderr)
