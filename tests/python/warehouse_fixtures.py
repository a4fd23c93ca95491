"""Session fixtures that build the warehouse once on the tiny dataset.

Every test that needs a built warehouse shares this one build (the slowest step of the
suite); everything lives in pytest's temporary folders, never in data/ or warehouse/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from portrait.dbt import run_dbt
from portrait.paths import PROJECT_DIR
from portrait.publish import PUBLICATION_TABLE

TEST_HASH_KEY = "test-key-0123456789abcdef0123456789abcdef"


@dataclass
class Warehouse:
    db: Path
    work_dir: Path
    env: dict[str, str]
    returncode: int
    output: str

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db), read_only=True)

    def run_results(self) -> list[dict]:
        path = self.work_dir / "target" / "run_results.json"
        return json.loads(path.read_text())["results"] if path.exists() else []


def copy_project(destination: Path) -> Path:
    """A copy of the project's tracked (and untracked, not ignored) files, for tests that
    edit seeds or YAML; returns `destination`."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_DIR,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        source = PROJECT_DIR / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def portrait(args: list[str], env: dict[str, str], cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    """`python -m portrait ...` with `env` over this process's environment, in `cwd` (a
    project copy imports its own package); output captured."""
    return subprocess.run([sys.executable, "-m", "portrait", *args], env={**os.environ, **env}, cwd=cwd,
                          capture_output=True, text=True)


def warehouse_env(raw_dir: Path, truth_dir: Path, work_dir: Path) -> dict[str, str]:
    return {
        "PORTRAIT_RAW_DIR": str(raw_dir),
        "PORTRAIT_TRUTH_DIR": str(truth_dir),
        "PORTRAIT_DB": str(work_dir / "portrait.duckdb"),
        "PORTRAIT_PUBLISH_DB": str(work_dir / "portrait_marts.duckdb"),
        "PORTRAIT_EXPORT_DIR": str(work_dir / "channel_exports"),
        "PORTRAIT_HASH_KEY": TEST_HASH_KEY,
    }


def build_warehouse(raw_dir: Path, truth_dir: Path, work_dir: Path, args: list[str] | None = None) -> Warehouse:
    env = warehouse_env(raw_dir, truth_dir, work_dir)
    result = run_dbt(["build", *(args or [])], env=env, work_dir=work_dir, capture=True, check=False)
    return Warehouse(
        db=Path(env["PORTRAIT_DB"]),
        work_dir=work_dir,
        env=env,
        returncode=result.returncode,
        output=(result.stdout or "") + (result.stderr or ""),
    )


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """`dbt build` (all models, seeds, snapshots and dbt tests) on the tiny dataset, once."""
    work_dir = tmp_path_factory.mktemp("tiny_warehouse")
    return build_warehouse(tiny_dataset / "raw", tiny_dataset / "truth", work_dir)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Nightly:
    """A warehouse folder that `portrait run` works in: private and published files, the
    Parquet exports, dbt's target/ and logs/ apart from the project's."""

    def __init__(self, root: Path, raw: Path, truth: Path) -> None:
        self.root = root
        self.env = {
            "PORTRAIT_RAW_DIR": str(raw),
            "PORTRAIT_TRUTH_DIR": str(truth),
            "PORTRAIT_DB": str(root / "warehouse" / "portrait.duckdb"),
            "PORTRAIT_PUBLISH_DB": str(root / "warehouse" / "portrait_marts.duckdb"),
            "PORTRAIT_EXPORT_DIR": str(root / "warehouse" / "channel_exports"),
            "PORTRAIT_HASH_KEY": TEST_HASH_KEY,
            # dbt's target/ and logs/ apart from the project's
            "DBT_TARGET_PATH": str(root / "target"),
            "DBT_LOG_PATH": str(root / "logs"),
        }
        self.private = Path(self.env["PORTRAIT_DB"])
        self.publish = Path(self.env["PORTRAIT_PUBLISH_DB"])
        self.exports = self.publish.with_name("portrait_marts_parquet")

    def run(self, *args: str, env: dict[str, str] | None = None,
            project: Path = PROJECT_DIR) -> tuple[subprocess.CompletedProcess, dict]:
        result = portrait(["run", "--json", *args], {**self.env, **(env or {})}, cwd=project)
        report = json.loads(result.stdout) if result.stdout.strip() else {}
        return result, report

    def run_results(self) -> list[dict]:
        """The results of the last dbt invocation of the last run."""
        return json.loads((Path(self.env["DBT_TARGET_PATH"]) / "run_results.json").read_text())["results"]

    def published_run_id(self) -> str:
        with duckdb.connect(str(self.publish), read_only=True) as con:
            return con.execute(f"select max(run_id) from marts.{PUBLICATION_TABLE}").fetchall()[0][0]

    def fingerprint(self) -> dict[str, str]:
        return {"private": sha256(self.private), "publish": sha256(self.publish),
                "exports": os.readlink(self.exports / "current")}


@pytest.fixture(scope="session")
def tiny_nightly(tiny_dataset: Path, tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Nightly:
    """A warehouse folder seeded with the tiny build, then one successful `portrait run`,
    once per session: test_run.py drives further runs in it (each leaving it published),
    test_privacy_scan.py scans what it published."""
    assert tiny_warehouse.returncode == 0, tiny_warehouse.output[-3000:]
    night = Nightly(tmp_path_factory.mktemp("nightly"), tiny_dataset / "raw", tiny_dataset / "truth")
    night.private.parent.mkdir(parents=True)
    shutil.copyfile(tiny_warehouse.db, night.private)
    result, report = night.run()
    assert result.returncode == 0, result.stderr[-5000:]
    assert report["status"] == "published"
    return night
