"""Locations and environment shared by the CLI, the tests and the benchmark.

Every path honours the environment variables of interfaces.md, so `make test` and the
benchmark can point a whole run at temporary folders without touching the demo's data.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
HASH_KEY_FILE = PROJECT_DIR / ".portrait_hash_key"


def raw_dir() -> Path:
    return Path(os.environ.get("PORTRAIT_RAW_DIR", PROJECT_DIR / "data" / "raw"))


def truth_dir() -> Path:
    return Path(os.environ.get("PORTRAIT_TRUTH_DIR", PROJECT_DIR / "data" / "truth"))


def warehouse_path() -> Path:
    return Path(os.environ.get("PORTRAIT_DB", PROJECT_DIR / "warehouse" / "portrait.duckdb"))


def publish_path() -> Path:
    return Path(
        os.environ.get("PORTRAIT_PUBLISH_DB", PROJECT_DIR / "warehouse" / "portrait_marts.duckdb")
    )


def ensure_hash_key(create: bool = True) -> str:
    """Return PORTRAIT_HASH_KEY, reading (or, on first run, creating) the git-ignored key file."""
    key = os.environ.get("PORTRAIT_HASH_KEY")
    if key:
        return key
    if HASH_KEY_FILE.exists():
        return HASH_KEY_FILE.read_text().strip()
    if not create:
        raise SystemExit(
            f"PORTRAIT_HASH_KEY is not set and {HASH_KEY_FILE} does not exist: run `make demo` once"
        )
    key = secrets.token_hex(32)
    # owner-only from its creation (no moment readable by others)
    with os.fdopen(os.open(HASH_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(key + "\n")
    print(
        f"portrait: created a new identifier hash key in {HASH_KEY_FILE} (git-ignored; keep it "
        "secret and keep it: changing it changes every identifier hash)",
        file=sys.stderr,
    )
    return key


def dbt_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment dbt runs with: interfaces.md variables resolved, hash key present."""
    env = dict(os.environ)
    # PORTRAIT_RAW_DIR is left unset when the user has not set it: dbt then reads its
    # default `data/raw` relative to the project, spelling file names (`_source_file`,
    # which incremental models compare) exactly as a plain `dbt build` does.
    env.setdefault("PORTRAIT_TRUTH_DIR", str(truth_dir()))
    env.setdefault("PORTRAIT_DB", str(warehouse_path()))
    env.setdefault("PORTRAIT_PUBLISH_DB", str(publish_path()))
    env["PORTRAIT_HASH_KEY"] = ensure_hash_key()
    if extra:
        env.update(extra)
    return env
