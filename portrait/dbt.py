"""Running dbt from Python (the CLI, tests and benchmark all go through here)."""

from __future__ import annotations

import os
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


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGKILL it when its parent dies."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def run_dbt(
    args: list[str],
    env: dict[str, str] | None = None,
    work_dir: Path | None = None,
    capture: bool = False,
    check: bool = True,
    project_dir: Path | None = None,
    die_with_parent: bool = False,
    output_to_stderr: bool = False,
) -> subprocess.CompletedProcess:
    """Run `dbt <args>` in the project directory.

    `work_dir` keeps dbt's target/ and logs/ apart, so several builds (tests, benchmark)
    never share or clobber each other's artefacts. `project_dir` runs a copy of the
    project (tests that edit seeds). `die_with_parent` (Linux): dbt is killed when this
    process dies, so a killed `portrait run` leaves no orphan build behind.
    `output_to_stderr`: dbt's log goes to stderr (stdout kept for a JSON report).
    """
    full_env = dbt_env(env)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        full_env["DBT_TARGET_PATH"] = str(work_dir / "target")
        full_env["DBT_LOG_PATH"] = str(work_dir / "logs")
    Path(full_env["PORTRAIT_DB"]).parent.mkdir(parents=True, exist_ok=True)
    # Files dbt creates (the private warehouse holds PII) are owner-only: umask 077 for the child.
    previous_umask = os.umask(0o077)
    try:
        result = _run(args, full_env, project_dir, capture, output_to_stderr, die_with_parent)
    finally:
        os.umask(previous_umask)
    if check and result.returncode != 0:
        detail = (result.stdout or "")[-6000:] + (result.stderr or "")[-3000:] if capture else ""
        raise RuntimeError(f"dbt {' '.join(args)} failed with exit code {result.returncode}\n{detail}")
    return result


def _run(args: list[str], full_env: dict[str, str], project_dir: Path | None, capture: bool,
         output_to_stderr: bool, die_with_parent: bool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [dbt_executable(), *args],
        cwd=project_dir or PROJECT_DIR,
        env=full_env,
        text=True,
        capture_output=capture,
        **({"stdout": sys.stderr} if output_to_stderr and not capture else {}),
        preexec_fn=_die_with_parent if die_with_parent and sys.platform.startswith("linux") else None,
    )


__all__ = ["run_dbt", "dbt_executable"]
