"""The whole dbt project builds on the tiny dataset with every dbt test passing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from portrait.dbt import run_dbt
from portrait.paths import PROJECT_DIR
from warehouse_fixtures import TEST_HASH_KEY, Warehouse, warehouse_env


def test_dbt_build_on_tiny_passes_every_model_and_test(tiny_warehouse: Warehouse) -> None:
    results = tiny_warehouse.run_results()
    failed = [
        f"{r['unique_id']}: {r['status']} {(r.get('message') or '')[:300]}"
        for r in results
        if r["status"] not in ("success", "pass")
        # exposures and saved queries have nothing to run (exports of saved queries are a dbt Cloud feature)
        and not (r["unique_id"].startswith(("exposure.", "saved_query.")) and r["status"] == "no-op")
    ]
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-5000:]
    assert results, "dbt wrote no run results"
    assert not failed, "\n".join(failed)
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "test", "seed"} <= kinds


def test_staging_models_hold_rows(tiny_warehouse: Warehouse) -> None:
    with tiny_warehouse.connect() as con:
        members = con.execute("select count(*) from staging.stg_crm__members").fetchone()[0]
    assert members > 0


def test_sqlfluff_lint_passes(tiny_warehouse: Warehouse) -> None:
    """Lint is blocking (dbt templater, duckdb dialect). It compiles against the built warehouse."""
    assert tiny_warehouse.returncode == 0, "lint needs the tiny build"
    env = {
        **os.environ,
        **tiny_warehouse.env,
        "DBT_TARGET_PATH": str(tiny_warehouse.work_dir / "lint_target"),
        "DBT_LOG_PATH": str(tiny_warehouse.work_dir / "lint_logs"),
    }
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    folders = [f for f in ("models", "tests", "analyses", "snapshots") if any((PROJECT_DIR / f).rglob("*.sql"))]
    result = subprocess.run(
        [str(sqlfluff), "lint", *folders, "--disable-progress-bar"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    assert "Skipped file" not in output, output[-5000:]
    assert result.returncode == 0, output[-8000:]


def test_raw_file_missing_a_column_fails_the_run_naming_file_table_and_column(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "crm_members").mkdir(parents=True)
    bad_file = raw / "crm_members" / "export_2025-01-01.parquet"
    con = duckdb.connect()
    con.execute(
        f"""copy (select 'M1' as member_id, 'C1' as card_no, 'n' as full_name, '13812345678' as phone,
                   '1' as gender, '1990-01-01' as birth_date, 'Shanghai' as city, 'store' as register_channel,
                   '2025-01-01 10:00:00' as registered_at, '2025-01-01 10:00:00' as updated_at,
                   null as unionid)
            to '{bad_file}' (format parquet)"""
    )
    env = warehouse_env(raw, tmp_path / "truth", tmp_path)
    result = run_dbt(["run", "--select", "base_raw__load_watermark"], env=env, work_dir=tmp_path,
                     capture=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(bad_file) in output
    assert "crm_members" in output and "'email'" in output
    assert TEST_HASH_KEY not in output
    shutil.rmtree(tmp_path / "target", ignore_errors=True)


def test_lineage_docs_generate(tiny_warehouse: Warehouse) -> None:
    """`make docs` serves what `dbt docs generate` writes: the site and a catalog of every relation."""
    assert tiny_warehouse.returncode == 0
    work = tiny_warehouse.work_dir / "docs"
    run_dbt(["docs", "generate"], env=tiny_warehouse.env, work_dir=work, capture=True)
    target = work / "target"
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert {"stg_crm__members", "int_identity__person_map", "dim_person", "audit_row_reconciliation"} <= documented
    assert {"int_person_metrics", "fct_person_tags", "dim_tag", "fct_person_segments", "agg_segment_summary"} <= documented


def test_every_relation_and_column_is_described(tiny_warehouse: Warehouse) -> None:
    """The lineage site is a product: every model, seed and snapshot in the warehouse, and
    every column it has, carries a description in the YAML."""
    target = tiny_warehouse.work_dir / "docs" / "target"
    if not (target / "catalog.json").exists():
        run_dbt(["docs", "generate"], env=tiny_warehouse.env, work_dir=target.parent, capture=True)
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    undescribed = []
    for unique_id, relation in catalog["nodes"].items():
        node = manifest["nodes"][unique_id]
        if not node.get("description", "").strip():
            undescribed.append(unique_id)
        documented = {name.lower(): column for name, column in node["columns"].items()}
        undescribed += [f"{unique_id}.{name}" for name in relation["columns"]
                        if not documented.get(name.lower(), {}).get("description", "").strip()]
    assert len(catalog["nodes"]) > 50
    assert not undescribed, undescribed[:50]


def test_a_retired_relation_is_dropped_by_the_next_invocation(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    """An existing warehouse that still holds a relation the project no longer builds (the
    old segment snapshot, which holds person ids no erasure hook reaches any more) loses it
    at the next dbt invocation, which says so."""
    env = {**tiny_warehouse.env, "PORTRAIT_DB": str(tmp_path / "portrait.duckdb")}
    shutil.copyfile(tiny_warehouse.db, env["PORTRAIT_DB"])
    with duckdb.connect(env["PORTRAIT_DB"]) as con:
        con.execute("create schema if not exists snapshots")
        con.execute("create table snapshots.snap_profile__person_segments as select 'p' as person_id")
    result = run_dbt(["run", "--select", "int_profile__as_of_date"], env=env, work_dir=tmp_path, capture=True,
                     check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "dropping" in result.stdout and "snap_profile__person_segments" in result.stdout
    with duckdb.connect(env["PORTRAIT_DB"], read_only=True) as con:
        left = con.execute("select count(*) from duckdb_tables() where table_name = 'snap_profile__person_segments'"
                           ).fetchall()[0][0]
    assert left == 0


def test_the_published_file_exposure_lists_every_mart(tiny_warehouse: Warehouse) -> None:
    """The lineage site shows BI reading every mart: the exposure `published_file` depends
    on each model of models/marts, so a new mart is not left out of it."""
    manifest = json.loads((tiny_warehouse.work_dir / "target" / "manifest.json").read_text())
    marts = {node["name"] for node in manifest["nodes"].values()
             if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")}
    exposure = manifest["exposures"]["exposure.portrait.published_file"]
    depends = {uid.split(".")[-1] for uid in exposure["depends_on"]["nodes"]}
    assert depends == marts and len(marts) >= 25
