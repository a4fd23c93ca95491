"""Running dbt from Python (the CLI, tests and benchmark all go through here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from portrait.paths import PROJECT_DIR, dbt_env


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise SystemExit("dbt is not installed in this environment: run `make demo` (or `make install`)")
    return found


def run_dbt(
    args: list[str],
    env: dict[str, str] | None = None,
    work_dir: Path | None = None,
    capture: bool = False,
    check: bool = True,
    project_dir: Path | None = None,
) -> subprocess.CompletedProcess:
    """Run `dbt <args>` in the project directory.

    `work_dir` keeps dbt's target/ and logs/ apart, so several builds (tests, benchmark)
    never share or clobber each other's artefacts. `project_dir` runs a copy of the
    project (tests that edit seeds).
    """
    full_env = dbt_env(env)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        full_env["DBT_TARGET_PATH"] = str(work_dir / "target")
        full_env["DBT_LOG_PATH"] = str(work_dir / "logs")
    Path(full_env["PORTRAIT_DB"]).parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [dbt_executable(), *args],
        cwd=project_dir or PROJECT_DIR,
        env=full_env,
        text=True,
        capture_output=capture,
    )
    if check and result.returncode != 0:
        detail = (result.stdout or "")[-6000:] + (result.stderr or "")[-3000:] if capture else ""
        raise RuntimeError(f"dbt {' '.join(args)} failed with exit code {result.returncode}\n{detail}")
    return result


__all__ = ["run_dbt", "dbt_executable"]
