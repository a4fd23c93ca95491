"""Locations and environment shared by the CLI, the tests and the benchmark.

Every path honours the environment variables of docs/contracts.md, so `make test` and the
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


def hash_key_file() -> Path:
    """The key file: `PORTRAIT_HASH_KEY_FILE`, else `.portrait_hash_key` in the project."""
    return Path(os.environ.get("PORTRAIT_HASH_KEY_FILE") or HASH_KEY_FILE)


def missing_key_message(key_file: Path, existing: list[Path]) -> str:
    return (
        f"no hash key: PORTRAIT_HASH_KEY is not set and {key_file} does not exist, but a warehouse already "
        f"exists ({', '.join(str(path) for path in existing)}). A new key would change every identifier hash "
        "and person id of it, so nothing was run and no key was created. Restore the key file from your backup "
        f"({key_file}, owner-only) or set PORTRAIT_HASH_KEY to the key the warehouse was built with; to change "
        "the key on purpose, run `portrait rotate-key` (docs/privacy.md, \"Rotating the hash key\")."
    )


def ensure_hash_key(create: bool = True, warehouses: list[Path] | None = None) -> str:
    """Return PORTRAIT_HASH_KEY, reading the git-ignored key file, or creating it for a
    brand-new warehouse only: when `warehouses` (default: PORTRAIT_DB and
    PORTRAIT_PUBLISH_DB) holds a file that exists, a missing key stops with SystemExit."""
    key = os.environ.get("PORTRAIT_HASH_KEY")
    if key:
        return key
    key_file = hash_key_file()
    if key_file.exists():
        key = key_file.read_text().strip()
        if not key:
            raise SystemExit(f"{key_file} is empty: restore the hash key from your backup or set PORTRAIT_HASH_KEY")
        return key
    existing = [path for path in (warehouses or [warehouse_path(), publish_path()]) if path.exists()]
    if existing:
        raise SystemExit(missing_key_message(key_file, existing))
    if not create:
        raise SystemExit(
            f"PORTRAIT_HASH_KEY is not set and {key_file} does not exist: run `make demo` once"
        )
    key = secrets.token_hex(32)
    # owner-only from its creation (no moment readable by others)
    with os.fdopen(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(key + "\n")
    print(
        f"portrait: created a new identifier hash key in {key_file} (git-ignored; keep it "
        "secret and keep it: changing it changes every identifier hash)",
        file=sys.stderr,
    )
    return key


def export_dir() -> Path:
    """Where channel exports (owner-only, PII) and their ledger go (`PORTRAIT_EXPORT_DIR`)."""
    return Path(os.environ.get("PORTRAIT_EXPORT_DIR", PROJECT_DIR / "warehouse" / "channel_exports"))


def dbt_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment dbt runs with: docs/contracts.md variables resolved, hash key present."""
    env = dict(os.environ)
    # PORTRAIT_RAW_DIR is left unset when the user has not set it: dbt then reads its
    # default `data/raw` relative to the project, spelling file names (`_source_file`,
    # which incremental models compare) exactly as a plain `dbt build` does.
    env.setdefault("PORTRAIT_TRUTH_DIR", str(truth_dir()))
    env.setdefault("PORTRAIT_DB", str(warehouse_path()))
    env.setdefault("PORTRAIT_PUBLISH_DB", str(publish_path()))
    extra = extra or {}
    if not extra.get("PORTRAIT_HASH_KEY"):
        # a missing key is created only when neither this build's files nor the configured ones exist
        targets = [Path(extra[name]) for name in ("PORTRAIT_DB", "PORTRAIT_PUBLISH_DB") if extra.get(name)]
        env["PORTRAIT_HASH_KEY"] = ensure_hash_key(warehouses=[warehouse_path(), publish_path(), *targets])
    env.update(extra)
    return env
