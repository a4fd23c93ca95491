"""The identifier hash key's guard and its deliberate rotation (issue 27, finding 4).

Every identifier hash and person id is a keyed sha256 over `PORTRAIT_HASH_KEY`: building
an existing warehouse with another key (a lost `.portrait_hash_key` replaced by a new one,
a wrong environment variable) silently re-keys everything. So:

* a new key is created only for a brand-new warehouse (`paths.ensure_hash_key` refuses
  when `PORTRAIT_DB` or `PORTRAIT_PUBLISH_DB` exists);
* the warehouse records the fingerprint of the key it was built with
  (`privacy.privacy_hash_key_id`, a one-row private table; the fingerprint is the
  `hash_key_id` of macros/privacy/erasure.sql, a keyed hash of a constant, never the key),
  and `portrait run` (`check_run_key`) and every dbt invocation (on-run-start macro
  `check_hash_key`) stop before building when the key in use has another fingerprint;
* `portrait rotate-key` (`rotate`) is the one way to change it: new key, old one kept
  beside it, `portrait run --full-refresh` with the change allowed, old key put back if
  that run fails.

The change is allowed when `PORTRAIT_ROTATE_HASH_KEY` holds the fingerprint of the key in
use (what `rotate` sets; a stale value never lets another key through), or, for dbt alone,
with the var `portrait__rotate_hash_key: true`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import sys
from pathlib import Path

import duckdb

from portrait import paths

ROTATE_ENV = "PORTRAIT_ROTATE_HASH_KEY"
PREVIOUS_KEY_ENV = "PORTRAIT_PREVIOUS_HASH_KEY"  # set by rotate-key for its own run only
RECORD_SCHEMA = "privacy"
RECORD_TABLE = "privacy_hash_key_id"
MIN_KEY_LENGTH = 16  # macros/identity/normalise.sql `hash_key` refuses shorter keys


class HashKeyError(RuntimeError):
    """The hash key in use is not the one the warehouse was built with."""


def key_id(key: str) -> str:
    """The key's fingerprint, as the macro `hash_key_id()` computes it: the first 16 hex
    characters of sha256('<key>:portrait/key-id:portrait')."""
    return hashlib.sha256(f"{key}:portrait/key-id:portrait".encode()).hexdigest()[:16]


def key_source() -> str:
    """Where `paths.ensure_hash_key` takes the key from, for messages."""
    if os.environ.get("PORTRAIT_HASH_KEY"):
        return "PORTRAIT_HASH_KEY"
    return str(paths.hash_key_file())


def _query_first(db: Path, queries: list[str]) -> str | None:
    """The first value of the first query that runs on `db` (read-only) and returns a row;
    None when the file cannot be opened or no query finds anything."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None  # held by a writer, or not a DuckDB file: nothing to compare with
    try:
        for query in queries:
            try:
                rows = con.execute(query).fetchall()
            except duckdb.Error:
                continue
            if rows and rows[0][0]:
                return str(rows[0][0])
        return None
    finally:
        con.close()


def recorded_key_id(private_db: Path | None, publish_db: Path | None) -> tuple[str, Path] | None:
    """(fingerprint, file it was read from) of the key the warehouse was built with, or None
    when nothing records one (a new warehouse, or one built before the record existed and
    without erasures). The private warehouse's record (`privacy.privacy_hash_key_id`) wins;
    else the key of the latest row of the published erasure ledger (`audit_erasures`, in
    schema `marts` or, in files published before the marts moved, `main`)."""
    if private_db is not None and private_db.exists():
        found = _query_first(private_db, [
            f"select hash_key_id from {RECORD_SCHEMA}.{RECORD_TABLE} order by recorded_at desc limit 1",
            "select hash_key_id from marts.audit_erasures order by applied_at desc limit 1",
        ])
        if found:
            return found, private_db
    if publish_db is not None and publish_db.exists():
        found = _query_first(publish_db, [
            f"select hash_key_id from {schema}.audit_erasures order by applied_at desc limit 1"
            for schema in ("marts", "main")
        ])
        if found:
            return found, publish_db
    return None


def rotation_allowed(key: str) -> bool:
    return os.environ.get(ROTATE_ENV, "").strip() == key_id(key)


def check_warehouse_key(private_db: Path, publish_db: Path, key: str, source: str | None = None) -> None:
    """Raise HashKeyError when the warehouse records a key fingerprint other than `key`'s
    (unless `PORTRAIT_ROTATE_HASH_KEY` allows this very key). Reads only, read-only."""
    recorded = recorded_key_id(private_db, publish_db)
    if recorded is None or recorded[0] == key_id(key) or rotation_allowed(key):
        return
    fingerprint, where = recorded
    source = source or key_source()
    raise HashKeyError(
        f"the hash key does not match the warehouse: {where} was built with the key whose fingerprint "
        f"(hash_key_id) is {fingerprint}, but the key in use (from {source}) has fingerprint {key_id(key)}. "
        "Building with it would change every identifier hash and person id, so nothing was built. "
        f"Use the key the warehouse was built with (restore {paths.hash_key_file()} or set PORTRAIT_HASH_KEY), "
        "or change it deliberately with `portrait rotate-key` (docs/privacy.md, \"Rotating the hash key\")."
    )


def check_run_key(private_db: Path, publish_db: Path) -> str:
    """`portrait run`'s check, first thing under its lock: the key (never created for an
    existing warehouse) matches the warehouse. Raises RunFailed with the message."""
    from portrait.run import RunFailed

    try:
        key = paths.ensure_hash_key(warehouses=[private_db, publish_db])
    except SystemExit as exc:
        raise RunFailed(str(exc)) from None
    try:
        check_warehouse_key(private_db, publish_db, key)
    except HashKeyError as exc:
        raise RunFailed(str(exc)) from None
    return key


# ----------------------------------------------------------------------------- rotation
def _say(message: str) -> None:
    print(f"portrait rotate-key: {message}", file=sys.stderr, flush=True)


def _write_private(path: Path, text: str) -> None:
    """Write a new owner-only file (never readable by others, never over an existing one)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _replace_private(path: Path, text: str) -> None:
    """Atomically make `path` an owner-only file holding `text`."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _write_private(tmp, text)
    os.replace(tmp, path)


def rotate(new_key_env: str | None = None, as_of: dt.date | None = None, run=None) -> tuple[int, object | None]:
    """`portrait rotate-key`: returns (exit code, run report or None). `run` is
    `portrait.run.run` (tests pass a stub)."""
    if run is None:
        from portrait.run import run
    private, publish = paths.warehouse_path().resolve(), paths.publish_path().resolve()
    if not private.exists() and not publish.exists():
        _say(f"no warehouse at {private} or {publish}: nothing to rotate (the first `portrait run` "
             "creates a key)")
        return 2, None
    new_key = None
    if new_key_env:
        new_key = os.environ.get(new_key_env, "").strip()
        if len(new_key) < MIN_KEY_LENGTH:
            _say(f"{new_key_env} must hold the new key (at least {MIN_KEY_LENGTH} characters; "
                 "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
            return 2, None
    from_env = bool(os.environ.get("PORTRAIT_HASH_KEY"))
    key_file = paths.hash_key_file()
    if from_env and not new_key:
        _say("PORTRAIT_HASH_KEY is set in the environment, so rotate-key cannot replace it. Put a new key "
             "in another variable and pass its name, e.g.\n"
             "  export PORTRAIT_NEW_HASH_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')\n"
             "  portrait rotate-key --new-key-from-env PORTRAIT_NEW_HASH_KEY\n"
             "then, once it succeeded, set PORTRAIT_HASH_KEY to that value wherever the job runs.")
        return 2, None
    old_key = os.environ["PORTRAIT_HASH_KEY"] if from_env else (
        key_file.read_text().strip() if key_file.exists() else None)
    new_key = new_key or secrets.token_hex(32)
    if old_key == new_key:
        _say("the new key is the key in use: nothing to rotate")
        return 2, None
    new_id = key_id(new_key)
    recorded = recorded_key_id(private, publish)
    _say(f"rotating the hash key: {recorded[0] if recorded else (key_id(old_key) if old_key else 'unknown')} "
         f"-> {new_id} (fingerprints)")

    backup = None
    if not from_env:
        if old_key is not None:
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            backup = key_file.with_name(f"{key_file.name}.old-{stamp}")
            _write_private(backup, old_key + "\n")
            _say(f"the old key is kept in {backup} (owner-only)")
        else:
            _say(f"{key_file} does not exist (the old key is lost): the new key replaces it")
        _replace_private(key_file, new_key + "\n")
        _say(f"the new key is in {key_file}")

    saved = {name: os.environ.get(name) for name in ("PORTRAIT_HASH_KEY", ROTATE_ENV, PREVIOUS_KEY_ENV)}
    if from_env:
        os.environ["PORTRAIT_HASH_KEY"] = new_key
    os.environ[ROTATE_ENV] = new_id
    if old_key is not None:
        # the run's histories keyed by person id (audience membership, the export ledger)
        # map each old id to the new one (int_identity__former_person_ids)
        os.environ[PREVIOUS_KEY_ENV] = old_key
    code, report = 1, None
    try:
        _say("running `portrait run --full-refresh` under the new key (every erasure is re-applied)")
        code, report = run(as_of=as_of, full_refresh=True)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if code != 0:
            _undo(private, publish, key_file, backup, old_key, new_id, from_env)
    if code == 0:
        if from_env:
            _say(f"done: published under the new key (fingerprint {new_id}). Set PORTRAIT_HASH_KEY to the value "
                 f"of {new_key_env} wherever `portrait run` runs, now: the old key no longer matches the warehouse.")
        else:
            _say(f"done: published under the new key (fingerprint {new_id}). Back up {key_file}; "
                 + (f"delete {backup} once nothing needs the old ids. " if backup else "")
                 + "BI extracts keyed on person ids must be reloaded.")
    return code, report


def _undo(private: Path, publish: Path, key_file: Path, backup: Path | None, old_key: str | None,
          new_id: str, from_env: bool) -> None:
    """After a failed rotation run: put the old key back, unless the run already swapped a
    warehouse built with the new key in (it failed after that swap): then keep the new one."""
    recorded = recorded_key_id(private, None)
    if recorded is not None and recorded[0] == new_id:
        _say(f"the run failed after {private} was replaced by the build under the new key: keeping the new key"
             + ("" if from_env else f" in {key_file} (the old one stays in {backup})")
             + "; run `portrait run` again to publish"
             + (f", with PORTRAIT_HASH_KEY set to the new key" if from_env else ""))
        return
    if from_env:
        _say("the run failed: nothing changed; PORTRAIT_HASH_KEY (the old key) still matches the warehouse")
        return
    if old_key is None:
        key_file.unlink(missing_ok=True)
        _say(f"the run failed: removed the new key {key_file} again; the warehouse is unchanged")
        return
    _replace_private(key_file, old_key + "\n")
    if backup is not None:
        backup.unlink(missing_ok=True)
    _say(f"the run failed: put the old key back in {key_file}; the warehouse is unchanged")


__all__ = ["key_id", "check_warehouse_key", "check_run_key", "recorded_key_id", "rotate", "HashKeyError",
           "ROTATE_ENV"]
