"""Session fixtures that build the warehouse once on the tiny dataset.

Every test that needs a built warehouse shares this one build (the slowest step of the
suite); everything lives in pytest's temporary folders, never in data/ or warehouse/.
"""

from __future__ import annotations

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
