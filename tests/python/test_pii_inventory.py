"""PII inventory (CONTRIBUTING.md, "PII columns"): every column of a model, seed, snapshot
or source whose name says it holds PII carries `meta: {pii: true}`; no mart column does;
and the dbt test `assert_no_pii_column_in_marts` fails the build when one does.

The inventory reads dbt's manifest from a `dbt parse` in a temporary target folder (no
warehouse build needed); the name list lives in `portrait.privacy`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from portrait.dbt import run_dbt
from portrait.privacy import (PII_COLUMN_NAMES, is_mart, looks_like_pii, pii_columns_in_marts,
                              untagged_pii_columns)
from warehouse_fixtures import copy_project, warehouse_env


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("pii_parse")
    env = warehouse_env(work / "raw", work / "truth", work)
    run_dbt(["parse"], env=env, work_dir=work, capture=True)
    return json.loads((work / "target" / "manifest.json").read_text())


def test_every_column_named_like_pii_is_tagged_pii(manifest: dict) -> None:
    assert untagged_pii_columns(manifest) == []
    # the check saw the layers that hold PII: raw identifiers in staging, sources and seeds
    tagged = {(node["name"], name) for node in [*manifest["nodes"].values(), *manifest["sources"].values()]
              for name, column in node.get("columns", {}).items() if column.get("meta", {}).get("pii")}
    assert {("stg_crm__members", "member_id"), ("stg_app__events", "device_id"), ("crm_members", "unionid"),
            ("identity_overrides", "identifier_value_a"), ("int_identity__person_map", "identifier_value"),
            ("base_crm__members", "raw_key"), ("stg_quarantine__rows", "raw_key")} <= tagged


def test_no_mart_column_is_pii(manifest: dict) -> None:
    marts = {node["name"] for node in manifest["nodes"].values() if is_mart(node)}
    assert {"dim_person", "bdg_person_identifier", "fct_person_tags", "fct_orders"} <= marts
    assert pii_columns_in_marts(manifest) == []


def test_the_name_list_tells_pii_from_pseudonymous_columns() -> None:
    for name in ("phone", "ship_phone", "contact_email", "member_card_no", "first_account_id", "first_openid",
                 "identifier_value_b", "raw_row_json", "birth_date", "visitor_id"):
        assert looks_like_pii(name), name
    for name in ("phone_hash", "phone_masked", "email_masked", "identifier_hash", "person_id", "phone_count",
                 "is_phone_placeholder", "is_contactable_email", "member_id_count", "identifier_type", "session_id"):
        assert not looks_like_pii(name), name
    assert {"member_id", "card_no", "account_id", "phone", "email", "device_id", "anonymous_id", "openid",
            "unionid"} <= PII_COLUMN_NAMES


def test_the_inventory_names_an_untagged_column_and_a_pii_mart_column() -> None:
    def model(name: str, path: str, columns: dict) -> dict:
        return {"resource_type": "model", "name": name, "schema": path.split("/")[1], "original_file_path": path,
                "columns": {c: {"name": c, "meta": meta, "config": {"meta": meta}} for c, meta in columns.items()}}

    fake = {"nodes": {
        "model.p.stg_x": model("stg_x", "models/staging/stg_x.sql", {"contact_email": {}, "email_hash": {},
                                                                     "phone": {"pii": True}}),
        "model.p.dim_x": model("dim_x", "models/marts/dim_x.sql", {"person_id": {}, "nickname": {},
                                                                   "note": {"pii": True}}),
    }, "sources": {}}
    assert untagged_pii_columns(fake) == ["model stg_x.contact_email"]
    assert pii_columns_in_marts(fake) == ["model dim_x.nickname", "model dim_x.note"]


def test_the_dbt_test_fails_naming_a_mart_column_tagged_pii(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    models_yml = project / "models" / "marts" / "core" / "_core__models.yml"
    text = models_yml.read_text()
    column = re.search(r"^( *)- name: phone_masked *$", text, flags=re.MULTILINE)
    assert column, "dim_person documents phone_masked"
    indent = " " * (len(column.group(1)) + 2)
    models_yml.write_text(text[:column.end()] + f"\n{indent}meta: {{pii: true}}" + text[column.end():])

    (tmp_path / "raw").mkdir()
    env = warehouse_env(tmp_path / "raw", tmp_path / "truth", tmp_path)  # a new, empty PORTRAIT_DB
    result = run_dbt(["test", "-s", "assert_no_pii_column_in_marts", "--store-failures"], env=env,
                     work_dir=tmp_path / "work", capture=True, check=False, project_dir=project)
    output = (result.stdout or "") + (result.stderr or "")
    assert result.returncode != 0, output[-3000:]
    assert "FAIL 1 assert_no_pii_column_in_marts" in output, output[-3000:]
    with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:
        failures = con.execute(
            "select model_name, column_name, model_path from dbt_test__audit.assert_no_pii_column_in_marts"
        ).fetchall()
    assert failures == [("dim_person", "phone_masked", "models/marts/core/dim_person.sql")]
