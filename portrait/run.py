"""`portrait run`: the nightly entry point, write–audit–publish.

0. preflight (`portrait.preflight`): the hash key, the landing zone against the last
   publication, unreadable raw files, folders, disk and `--as-of`, before anything is
   built;
1. copy the private warehouse (`PORTRAIT_DB`) to a working file beside it;
2. `dbt build` there (incremental unless `--full-refresh`; every dbt test runs); when
   the build listed new erasure entries, build again so they take effect, then rewrite
   the working file into a fresh one so no freed block keeps an erased person's data;
3. validate the marts with the Great Expectations suite (`portrait.quality`) against the
   previous publication;
4. write the new published file and Parquet exports (`portrait.publish`);
5. swap: rename the working file over `PORTRAIT_DB`, the new published file over
   `PORTRAIT_PUBLISH_DB`, and re-point the exports' `current` link.

When the run fails on a night with an erasure (the gate of step 3, a dbt test of step 2,
or a raw-table refusal of step 0, which then builds first), the last publication is
published again without the erased persons (no check may hold back an erasure), and the
run still fails. Until step 5 nothing the scheduler or BI tools see has changed otherwise: a failure, or a SIGKILL,
at any point leaves the last good files in place, and the next run starts from them
(stale working files are removed under the run lock). Each rename is atomic; a kill
between the two renames leaves a new private warehouse beside the previous
publication, which the next run replaces. The run's report (steps, validation) goes
to `<warehouse folder>/runs/<run id>.json`; exit status 0 only when published.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from portrait import paths
from portrait.faults import FAULT_ENV, fault_point
from portrait.publish import exports_root, fsync, literal, switch_exports, write_publication


class RunFailed(Exception):
    """A step failed; the message says which and where the details are."""


@dataclass
class RunFiles:
    private: Path
    publish: Path
    run_id: str

    @property
    def folder(self) -> Path:
        return self.private.parent

    @property
    def work(self) -> Path:
        return self.folder / f".{self.private.name}.work-{self.run_id}"

    @property
    def failed(self) -> Path:
        return self.folder / f"{self.private.stem}.failed{self.private.suffix}"

    @property
    def publish_tmp(self) -> Path:
        return self.publish.parent / f".{self.publish.name}.new-{self.run_id}"

    @property
    def exports(self) -> Path:
        return exports_root(self.publish)

    @property
    def exports_partial(self) -> Path:
        return self.exports / f".{self.run_id}.partial"

    @property
    def lock(self) -> Path:
        return self.folder / f".{self.private.name}.lock"

    @property
    def reports(self) -> Path:
        return self.folder / "runs"

    def stale(self) -> list[Path]:
        """Leftovers of killed runs: working files, unfinished publications and exports."""
        found = list(self.folder.glob(f".{self.private.name}.work-*"))
        found += list(self.publish.parent.glob(f".{self.publish.name}.new-*"))
        if self.exports.exists():
            found += list(self.exports.glob(".*.partial")) + list(self.exports.glob(".current.*"))
        return found


@dataclass
class RunReport:
    run_id: str
    started_at: str
    as_of_date: str | None = None
    full_refresh: bool = False
    status: str = "running"
    failed_step: str | None = None
    message: str | None = None
    steps: list[dict] = field(default_factory=list)
    validation: dict | None = None
    published_tables: dict[str, int] | None = None
    private_db: str | None = None
    publish_db: str | None = None
    exports: str | None = None
    erasure: dict | None = None
    memory_retries: list[dict] = field(default_factory=list)
    # What the preflight saw: raw rows per table, files read, warnings (non-Parquet files),
    # operator overrides used (--allow-missing, --allow-drop, --force-as-of, --backfill).
    preflight: dict | None = None
    overrides: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Set when the new build could not be published but erasures could: the last
    # publication was re-published without the erased persons.
    erasure_publication: bool = False
    # During the final swap: which renames are done (a kill there leaves this report).
    swap: dict | None = None
    # The channel exports written after publishing (export id, rows, exited) or their errors.
    channel_exports: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _say(message: str) -> None:
    print(f"portrait run: {message}", file=sys.stderr, flush=True)


# `PORTRAIT_RUN_FAULT=out-of-memory` (tests only): the first build runs under this DuckDB memory
# limit, so some of its nodes fail as a large night's can ("Out of Memory Error") and the run's
# retry takes over with the normal limit.
FAULT_MEMORY_LIMIT = "40MB"


@contextlib.contextmanager
def run_lock(path: Path):
    """One `portrait run` per warehouse at a time (released by the OS if the run dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RunFailed(f"another portrait run holds {path} (pid {holder}); not starting a second one") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)


def _checkpoint(db: Path) -> None:
    """Fold any write-ahead log into the file, so the file alone is the whole database."""
    try:
        con = duckdb.connect(str(db))
    except duckdb.IOException as exc:
        raise RunFailed(f"cannot open {db} for writing (is a `dbt build` or another writer using it?): {exc}") from exc
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    if Path(str(db) + ".wal").exists():
        raise RunFailed(f"{db}.wal is still there after a checkpoint")


def _identity(path: Path) -> tuple[int, int] | None:
    """What tells a file was rewritten: modification time and size (None: absent)."""
    if not path.exists():
        return None
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _is_lock_error(exc: Exception) -> bool:
    """DuckDB's error for a file another process holds (not any message that happens to
    contain "lock": a corrupt file's "checksum ... in block" does)."""
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text


def _open_error(path: Path, exc: Exception) -> RunFailed:
    """A clear message for a DuckDB file that cannot be opened: held by another writer, or
    not a whole DuckDB file (truncated, overwritten, empty)."""
    if _is_lock_error(exc):
        return RunFailed(f"cannot open {path}: another process holds it (a `dbt build`, a BI tool opened it "
                         f"for writing?): {exc}")
    return RunFailed(f"{path} is not a readable DuckDB file: it is truncated or corrupt ({exc}). Restore it "
                     "from a backup, or move it away and run `portrait run --full-refresh` to rebuild it from "
                     "the raw files (erasures are re-applied from the raw privacy requests)")


def _copy_private(files: RunFiles) -> tuple[int, int] | None:
    """The working copy: checkpoint the private warehouse and copy it while holding its
    write lock, so a concurrent writer cannot tear the copy. Returns the identity of the
    file copied, to detect a direct `dbt build` writing it before the swap."""
    if not files.private.exists():
        _say(f"{files.private} does not exist yet: the first run builds from scratch")
        return None
    try:
        con = duckdb.connect(str(files.private))
    except duckdb.Error as exc:
        raise _open_error(files.private, exc) from exc
    try:
        con.execute("checkpoint")
        shutil.copyfile(files.private, files.work)
        os.chmod(files.work, 0o600)
    finally:
        con.close()
    fsync(files.work)
    return _identity(files.private)


def _as_of_date(db: Path) -> str | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select cast(max(as_of_date) as varchar) from intermediate.int_profile__as_of_date"
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return rows[0][0] if rows else None


SUPPRESSION_LIST = "privacy.privacy_suppression_list"
# Builds one run may make while erasures still take effect (each usually settles in two).
MAX_BUILDS = 3


def _suppression_entries(db: Path) -> int:
    """Entries in the suppression list (0 before the first build made it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(f"select count(*) from {SUPPRESSION_LIST}").fetchall()
    except duckdb.CatalogException:
        return 0
    finally:
        con.close()
    return int(rows[0][0])


#: What a failed build must have built for its erasures to go out: the suppression list
#: (the erased person ids and identifier hashes) and the erasure ledger.
ERASURE_MODELS = ("privacy_suppression_list", "audit_erasures")


def _run_results(since: float) -> list[dict]:
    """The results of the last dbt invocation, when it ended after `since` (else none)."""
    path = dbt_target_dir() / "run_results.json"
    try:
        if path.stat().st_mtime < since:
            return []
        return json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


def _compact(db: Path) -> None:
    """Rewrite `db` into a fresh file: deleted rows and dropped tables leave their data in
    free blocks of a DuckDB file until reused, so after an erasure the file is copied,
    table by table, into a new one that holds only live data (measured: the old file still
    held an erased member id; the copy does not)."""
    fresh = db.with_name(db.name + ".compact")
    _remove(fresh)
    con = duckdb.connect()
    previous_umask = os.umask(0o077)  # the copy holds PII: owner-only from its creation
    try:
        con.execute(f"attach '{db}' as source_db (read_only)").fetchall()
        con.execute(f"attach '{fresh}' as fresh_db").fetchall()
        con.execute("copy from database source_db to fresh_db").fetchall()
        con.execute("detach fresh_db").fetchall()
        con.execute("detach source_db").fetchall()
    finally:
        con.close()
        os.umask(previous_umask)
    os.chmod(fresh, 0o600)
    os.replace(fresh, db)
    fsync(db)


def _ledger(db: Path, status: str = "applied") -> set[tuple[str, str]]:
    """(request id, hash key id) of every erasure `audit_erasures` records with `status` in
    `db` (a private warehouse or a publication: schema `marts`, or `main` in a file
    published before the marts moved there)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in ("marts.audit_erasures", "main.audit_erasures"):
            try:
                rows = con.execute(f"select distinct erasure_request_id, hash_key_id from {table} "
                                   "where status = ?", [status]).fetchall()
            except duckdb.CatalogException:
                continue
            return {tuple(row) for row in rows}
        return set()
    finally:
        con.close()


def _not_applicable_reasons(db: Path, requests: set[str]) -> dict[str, int]:
    """Requests per `reason` among the not-applicable erasure `requests` of `db`."""
    if not requests:
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select coalesce(reason, 'unknown'), count(distinct erasure_request_id) from marts.audit_erasures "
            "where status = 'not_applicable' and erasure_request_id in (select unnest(?)) group by 1",
            [sorted(requests)]).fetchall()
    except duckdb.BinderException:  # a ledger built before `reason` existed
        return {"unknown": len(requests)}
    finally:
        con.close()
    return dict(rows)


def _readable_publication(files: RunFiles) -> str | None:
    """A published file that is not a readable DuckDB file (empty, truncated, overwritten)
    would fail every night's comparison: move it aside and say so; this run publishes a
    new one from the private warehouse (the gate then has no previous publication)."""
    if not files.publish.exists():
        return None
    try:
        con = duckdb.connect(str(files.publish), read_only=True)
        try:
            con.execute("select count(*) from duckdb_tables()").fetchall()
        finally:
            con.close()
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            return None  # a reader or writer holds it: it is a DuckDB file
        aside = files.publish.with_name(f"{files.publish.name}.unreadable-{files.run_id}")
        os.replace(files.publish, aside)
        message = (f"{files.publish} is not a readable DuckDB file ({exc}); moved it to {aside.name}: this run "
                   "publishes a new one from the private warehouse (checks against the last publication are "
                   "skipped)")
        _say(message)
        return message
    return None


def _write_report(files: RunFiles, report: RunReport) -> Path:
    files.reports.mkdir(parents=True, exist_ok=True)
    path = files.reports / f"{report.run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
    os.replace(tmp, path)
    return path


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


OUT_OF_MEMORY = "Out of Memory Error"
BUILD_STARTED_ENV = "PORTRAIT_BUILD_STARTED_AT"


def build_started_env() -> dict[str, str]:
    """`PORTRAIT_BUILD_STARTED_AT`, now (UTC): the build's start for the erasure ledger
    (macro `run_started_timestamp`), given to a build and to its `dbt retry` alike."""
    return {BUILD_STARTED_ENV: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}


def dbt_target_dir() -> Path:
    """Where dbt writes `run_results.json` for `portrait run`: `DBT_TARGET_PATH` (a relative
    one from the project folder, as dbt reads it), else `target/`."""
    return paths.PROJECT_DIR / (os.environ.get("DBT_TARGET_PATH") or "target")


def failed_on_memory(target_dir: Path, since: float) -> list[str]:
    """The nodes of dbt's invocation started at `since` (epoch seconds) that failed because
    DuckDB ran out of memory, when those are its only failures (a failing test or SQL error
    is not retried); else []. An older `run_results.json` (dbt stopped before writing one)
    counts for nothing."""
    path = target_dir / "run_results.json"
    try:
        if path.stat().st_mtime < since:
            return []
        results = json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    if not failed or not all(OUT_OF_MEMORY in (r.get("message") or "") for r in failed):
        return []
    return [r["unique_id"].split(".")[-1] for r in failed]


@dataclass
class RunOptions:
    """What the operator may say for one run (CLI flags of `portrait run`)."""
    as_of: dt.date | None = None
    full_refresh: bool = False
    # Raw tables that may be absent or empty although they held rows at the last publication.
    allow_missing: frozenset = frozenset()
    # Raw tables or marts whose row count may drop beyond `max_row_drop`.
    allow_drop: frozenset = frozenset()
    # Largest drop of a raw table's or a mart's rows against the last publication.
    max_row_drop: float = 0.25
    # Build an --as-of in the future or before the data starts.
    force_as_of: bool = False
    # Publish an --as-of before the published one (replacing what BI users see).
    backfill: bool = False
    # After publishing, write each audience's configured channel exports (deltas).
    exports: bool = True


def _write_configured_exports() -> list[dict]:
    """Each audience's delta export to each of its `channels` (docs/activation.md). A failed
    export is reported and does not undo the publication."""
    from portrait.activation.audiences import load
    from portrait.activation.exports import export

    written = []
    audiences = load()
    planned = [(code, channel) for code, audience in sorted(audiences.items()) for channel in audience.channels]
    _say(f"[after publishing] writing {len(planned)} configured channel export(s) (deltas)")
    for code, channel in planned:
        try:
            manifest = export(code, channel, delta=True)
            written.append({key: manifest[key] for key in ("export_id", "audience", "channel", "kind", "rows",
                                                            "exited_rows", "control_rows", "capped_rows")})
        except Exception as exc:  # noqa: BLE001  (the publication stands; the report names the failure)
            _say(f"  export of {code} to {channel} failed: {type(exc).__name__}: {exc}")
            written.append({"audience": code, "channel": channel, "error": str(exc)})
    return written


def _pending_erasures(raw: Path, publish: Path) -> int:
    """Erasure requests in the landing zone that the last publication's ledger does not
    answer yet (0 without a readable publication: there is nothing published to erase from)."""
    files = sorted((raw / "privacy_requests").glob("*.parquet"))
    if not files or not publish.exists():
        return 0
    con = duckdb.connect()
    try:
        con.execute(f"attach {literal(str(publish))} as pub (read_only)")
        return con.execute(
            "select count(distinct request_id) from read_parquet(?, union_by_name => true) "
            "where lower(trim(cast(request_type as varchar))) = 'erasure' and request_id not in "
            "(select erasure_request_id from pub.marts.audit_erasures)",
            [[str(f) for f in files]]).fetchall()[0][0]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _preflight(files: RunFiles, options: RunOptions, report: RunReport) -> str | None:
    """The checks before anything is built (portrait.preflight); raises RunFailed. A refusal
    of the raw tables (a table missing, or fewer rows) on a night with erasure requests
    still pending is returned instead: no check may hold back an erasure, so the run builds
    to apply them, publishes only the last publication without the erased persons, and
    then fails with the refusal."""
    from portrait.preflight import (PreflightFailed, check_as_of, check_new_files_readable, check_raw_tables,
                                    check_writable, data_dates, inventory, previous_as_of, previous_raw_rows)

    try:
        check_writable(files.private, files.publish)
        raw = paths.raw_dir().resolve()
        if not raw.is_dir():
            raise PreflightFailed(f"the landing zone {raw} (PORTRAIT_RAW_DIR) does not exist")
        if not 0 <= options.max_row_drop <= 1:
            raise PreflightFailed(f"--max-row-drop must be a share between 0 and 1, not {options.max_row_drop}")
        tables = inventory(raw)
        # The last publication's counts, else (no readable publication) the private warehouse's.
        previous = previous_raw_rows(files.publish)
        if previous is None:
            previous = previous_raw_rows(files.private, published=False)
        checked = check_raw_tables(tables, previous, options.max_row_drop,
                                   set(options.allow_missing), set(options.allow_drop))
        report.preflight = {"raw_rows": {name: table.rows for name, table in tables.items()},
                            "ignored_files": {name: table.ignored_files for name, table in tables.items()
                                              if table.ignored_files},
                            "allowed": checked.allowed}
        for warning in checked.warnings:
            _say(f"WARNING {warning}")
            report.warnings.append(warning)
        for allowed in checked.allowed:
            _say(allowed)
        deferred = None
        if checked.problems:
            pending = _pending_erasures(raw, files.publish)
            if not pending:
                raise PreflightFailed("; ".join(checked.problems))
            deferred = "; ".join(checked.problems)
            _say(f"REFUSED {deferred}; {pending} erasure request(s) are pending, so the run builds to apply "
                 "them, publishes the last publication without the erased persons, and then fails")
        report.preflight["files_read"] = check_new_files_readable(tables, raw, files.reports, _say)
        if options.as_of:
            first, _ = data_dates(files.private)
            problems = check_as_of(options.as_of, first, previous_as_of(files.publish), options.force_as_of,
                                   options.backfill)
            if problems:
                raise PreflightFailed("; ".join(problems))
        return deferred
    except PreflightFailed as exc:
        raise RunFailed(str(exc)) from None


def run(as_of: dt.date | None = None, full_refresh: bool = False,
        options: RunOptions | None = None) -> tuple[int, RunReport]:
    """Check, build, validate and publish; returns (exit code, report)."""
    from portrait.dbt import run_dbt
    from portrait.publish import erased_keys, rows_of_erased, write_redacted_publication
    from portrait.quality import Tolerances, validate_warehouse

    options = options or RunOptions(as_of=as_of, full_refresh=full_refresh)
    as_of, full_refresh = options.as_of, options.full_refresh
    files = RunFiles(paths.warehouse_path().resolve(), paths.publish_path().resolve(), new_run_id())
    report = RunReport(
        run_id=files.run_id,
        started_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        as_of_date=as_of.isoformat() if as_of else None,
        full_refresh=full_refresh,
        private_db=str(files.private),
        publish_db=str(files.publish),
        overrides={key: sorted(value) if isinstance(value, frozenset) else value
                   for key, value in (("allow_missing", options.allow_missing), ("allow_drop", options.allow_drop),
                                      ("force_as_of", options.force_as_of), ("backfill", options.backfill),
                                      ("max_row_drop", options.max_row_drop
                                       if options.max_row_drop != RunOptions.max_row_drop else None))
                   if value is not None and value is not False and value != frozenset()},
    )
    step_name = "lock"
    swapped_private = False
    erasure_swap: Callable[[], None] | None = None

    def step(name: str):
        nonlocal step_name
        step_name = name
        report.steps.append({"step": name, "seconds": None})
        fault_point(f"step:{name}")
        return time.perf_counter()

    def done(started: float) -> None:
        report.steps[-1]["seconds"] = round(time.perf_counter() - started, 2)

    def swap_publication(after_erasure: bool) -> None:
        """Rename the new publication and exports in (each rename atomic), noting each in
        the report first, so a kill between them leaves a report that says where it was."""
        report.swap = {"private": swapped_private, "publication": False, "exports": False}
        _write_report(files, report)
        fault_point("between-swaps")
        os.replace(files.publish_tmp, files.publish)
        fsync(files.publish.parent)
        report.swap["publication"] = True
        _write_report(files, report)
        fault_point("before-exports-switch")
        version_dir = files.exports / files.run_id
        os.replace(files.exports_partial, version_dir)
        # after an erasure the previous exports hold the erased persons: not kept for readers
        switch_exports(files.exports, version_dir, keep_previous=not after_erasure)
        report.swap["exports"] = True
        report.exports = str(files.exports / "current")
        _write_report(files, report)

    def record_erasures(new_entries: int, builds: int) -> bool:
        """The erasure part of the report from the working file's ledger; whether this
        build applied erasures the last publication does not have."""
        published = files.publish.exists()
        applied = _ledger(files.work) - (_ledger(files.publish) if published else set())
        not_applicable = {request for request, _ in _ledger(files.work, "not_applicable")
                          - (_ledger(files.publish, "not_applicable") if published else set())}
        report.erasure = {"new_entries": new_entries, "builds": builds,
                          "newly_applied_requests": len({request for request, _ in applied}),
                          "not_applicable_requests": len(not_applicable),
                          "not_applicable_reasons": _not_applicable_reasons(files.work, not_applicable),
                          "compacted": False}
        if not_applicable:
            _say(f"erasure: {len(not_applicable)} request(s) could not be applied and are answered as "
                 f"not_applicable in audit_erasures ({report.erasure['not_applicable_reasons']})")
        return bool(applied) or new_entries > 0

    def erase_from_channel_exports() -> None:
        """Channel exports already written hold the erased persons: delete those files (the
        data controller tells their recipients: marts.audit_export_erasures)."""
        from portrait.activation.exports import erase_from_exports
        from portrait.publish import erased_persons

        deleted = erase_from_exports(paths.export_dir(), erased_persons(files.work))
        report.erasure["export_files_deleted"] = sorted({d["export_id"] for d in deleted})
        if deleted:
            _say(f"erasure: deleted {len(report.erasure['export_files_deleted'])} channel export file(s) "
                 "that held erased persons")

    def republish_without_erased(why: str) -> Callable[[], None]:
        """No check may hold back an erasure: the last publication goes out again without
        the erased persons (called in the `except` below, after the failure is reported)."""
        def swap() -> None:
            _say(f"erasure: {why}, so the last publication is published again without the erased persons")
            write_redacted_publication(files.publish, files.work, files.publish_tmp,
                                       files.exports_partial, files.run_id)
            swap_publication(after_erasure=True)
            report.erasure_publication = True
            if files.failed.exists():
                _remove(files.failed)  # an older failed build may still hold the erased persons
        return swap

    def held_erasures(entries_before: int, builds: int, since: float, args: list[str],
                      env: dict[str, str]) -> Callable[[], None] | None:
        """A failed dbt build: when its erasure models were built all the same (a failing
        test elsewhere skips only what lies downstream of it) and listed new erasures, the
        erasure models alone are brought up to date (as the extra builds of a good night
        do: entries listed by one build take effect in the next), and the erasures go out:
        the last publication without the erased persons, the channel exports holding them
        deleted."""
        from portrait.dbt import run_dbt

        if not files.publish.exists() or not files.work.exists():
            return None
        statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in _run_results(since)}
        if any(statuses.get(model) != "success" for model in ERASURE_MODELS):
            if _pending_erasures(paths.raw_dir().resolve(), files.publish):
                _say("erasure: the build failed before its erasure models were built "
                     f"({', '.join(m + ': ' + statuses.get(m, 'not run') for m in ERASURE_MODELS)}); "
                     "the pending erasure requests are applied by the next run that builds them")
            return None
        previous, entries = entries_before, _suppression_entries(files.work)
        if entries == previous:
            return None
        selection = ["run", "--select", *(f"+{model}" for model in ERASURE_MODELS),
                     *[arg for arg in args[1:] if arg != "--full-refresh"]]
        while entries != previous:
            if builds >= MAX_BUILDS:
                _say(f"erasure: still new suppression entries after {MAX_BUILDS} builds; not published")
                return None
            builds += 1
            _say(f"erasure: the build failed; bringing only the erasure models up to date (dbt {' '.join(selection)})")
            # a new build start: the ledger counts entries listed before its build as applied
            result = run_dbt(selection, env={**env, **build_started_env()}, check=False, die_with_parent=True,
                             output_to_stderr=True)
            if result.returncode != 0:
                _say("erasure: the erasure models failed too; the erasures are applied by the next run that builds")
                return None
            previous, entries = entries, _suppression_entries(files.work)
        if not record_erasures(entries - entries_before, builds):
            return None
        erase_from_channel_exports()
        return republish_without_erased("the build failed")

    try:
        with run_lock(files.lock):
            for stale in files.stale():
                _say(f"removing {stale.name}, left by an interrupted run")
                _remove(stale)

            started = step("preflight")
            _say("[0/5] checking the hash key, the landing zone, the folders and the options before building")
            from portrait.hash_key import check_run_key

            check_run_key(files.private, files.publish)  # a missing or different key stops here
            refused = _preflight(files, options, report)
            unreadable = _readable_publication(files)
            if unreadable:
                report.warnings.append(unreadable)
            done(started)

            started = step("copy")
            _say(f"[1/5] copying {files.private.name} to a working file")
            copied = _copy_private(files)
            done(started)

            started = step("build")
            args = ["build"]
            if as_of:
                args += ["--vars", json.dumps({"portrait__as_of_date": as_of.isoformat()})]
            if full_refresh:
                args.append("--full-refresh")
            entries_before = _suppression_entries(files.work) if files.work.exists() else 0
            entries = entries_before
            for build in range(1, MAX_BUILDS + 1):
                _say(f"[2/5] dbt {' '.join(args)} on the working file"
                     + ("" if build == 1 else f" (build {build}: erasures listed by the last build take effect)"))
                build_env = {"PORTRAIT_DB": str(files.work), **build_started_env()}
                first_env = dict(build_env)
                if build == 1 and os.environ.get(FAULT_ENV) == "out-of-memory":
                    first_env["PORTRAIT_MEMORY_LIMIT"] = FAULT_MEMORY_LIMIT  # tests only: DuckDB's own failure
                build_started = time.time()
                result = run_dbt(args, env=first_env, check=False, die_with_parent=True, output_to_stderr=True)
                out_of_memory = failed_on_memory(dbt_target_dir(), build_started) if result.returncode != 0 else []
                if out_of_memory:
                    # DuckDB's memory limit is shared by the nodes dbt runs at once: a node can
                    # fail only because of what ran beside it (bench/README.md, "Targets on large").
                    _say(f"dbt: {len(out_of_memory)} node(s) ran out of memory ({', '.join(out_of_memory)}); "
                         "retrying the failed and skipped nodes alone (dbt retry --threads 1)")
                    report.memory_retries.append({"build": build, "nodes": out_of_memory})
                    result = run_dbt(["retry", "--threads", "1"], env=build_env, check=False, die_with_parent=True,
                                     output_to_stderr=True)
                    if result.returncode != 0:
                        erasure_swap = held_erasures(entries_before, build, build_started, args, build_env)
                        raise RunFailed(f"dbt retry of the nodes that ran out of memory failed too (exit "
                                        f"{result.returncode}); see its output above and logs/dbt.log")
                if result.returncode != 0:
                    erasure_swap = held_erasures(entries_before, build, build_started, args, build_env)
                    raise RunFailed(f"dbt build failed (exit {result.returncode}); see its output above and logs/dbt.log")
                _checkpoint(files.work)
                os.chmod(files.work, 0o600)  # staging holds PII: owner-only, also on a first build
                listed = _suppression_entries(files.work)
                if listed == entries:
                    break
                _say(f"erasure: {listed - entries} new suppression entries")
                entries = listed
                # Later builds only bring the already-built layers up to date.
                args = [arg for arg in args if arg != "--full-refresh"]
            else:
                raise RunFailed(f"erasures still listed new entries after {MAX_BUILDS} builds; see {SUPPRESSION_LIST}")
            # Erasures applied since the last publication (this run's, or those of a plain
            # `dbt build` or of a run killed between its swaps): what the published files,
            # the exports and the freed blocks of the private file may still hold.
            if record_erasures(entries - entries_before, build):
                _say(f"erasure: {report.erasure['newly_applied_requests']} request(s) applied since the last "
                     "publication; rewriting the working file so no freed block keeps erased data")
                _compact(files.work)
                report.erasure["compacted"] = True
                erase_from_channel_exports()
            # The export ledger is keyed by person id too: a merge moves its rows to the survivor.
            from portrait.activation.exports import follow_merges

            merged = follow_merges(paths.export_dir(), files.work)
            if merged:
                _say(f"exports: {merged} ledger row(s) of merged person ids now count for the surviving person")
            report.as_of_date = _as_of_date(files.work) or report.as_of_date
            done(started)
            if refused:
                step_name = "preflight"  # the refusal, deferred only to apply the erasures
                if files.publish.exists() and report.erasure["compacted"]:
                    erasure_swap = republish_without_erased("the raw tables were refused")
                raise RunFailed(refused)

            started = step("validate")
            previous = files.publish if files.publish.exists() else None
            _say("[3/5] validating the marts (Great Expectations)"
                 + (f" against the previous publication {files.publish.name}" if previous else
                    ": no previous publication, checks relative to it are skipped"))
            explained = {}
            if previous is not None and report.erasure["compacted"]:
                explained = rows_of_erased(previous, *erased_keys(files.work))
            validation = validate_warehouse(
                files.work, previous, Tolerances(history_may_shrink=bool(report.erasure["compacted"]),
                                                 max_row_change=options.max_row_drop,
                                                 explained_drops=explained,
                                                 allow_drop=frozenset(options.allow_drop)))
            report.validation = validation
            done(started)
            for item in validation["expectations"]:
                if not item["success"] and not item.get("blocking", True):
                    warning = f"{item['table']}: {item['check']} (observed {item['observed']}; never blocks)"
                    _say(f"  WARNING {warning}")
                    report.warnings.append(warning)
            if not validation["success"]:
                failed = [e for e in validation["expectations"] if not e["success"] and e.get("blocking", True)]
                for expectation in failed:
                    _say(f"  FAILED {expectation['table']}: {expectation['check']} "
                         f"({expectation['expectation_type']}; observed {expectation['observed']})")
                if previous is not None and report.erasure["compacted"]:
                    erasure_swap = republish_without_erased("the new build failed validation")
                raise RunFailed(f"{len(failed)} of {len(validation['expectations'])} expectations failed")

            started = step("publish")
            _say(f"[4/5] writing the marts to a new {files.publish.name} and Parquet exports")
            files.exports.mkdir(parents=True, exist_ok=True)
            publication = write_publication(
                files.work, files.publish_tmp, files.exports_partial, files.run_id, report.as_of_date
            )
            report.published_tables = publication.tables
            done(started)

            started = step("swap")
            _say("[5/5] swapping the new files in")
            if _identity(files.private) != copied or Path(str(files.private) + ".wal").exists():
                raise RunFailed(f"{files.private} was written while this run worked (a direct `dbt build`?): "
                                "not overwriting it; run again")
            Path(str(files.publish) + ".wal").unlink(missing_ok=True)  # never replay a stale log on the new file
            report.status = "swapping"
            report.swap = {"private": False, "publication": False, "exports": False}
            _write_report(files, report)
            os.replace(files.work, files.private)
            swapped_private = True
            os.chmod(files.private, 0o600)
            fsync(files.folder)
            erased = bool(report.erasure and report.erasure["compacted"])
            swap_publication(after_erasure=erased)
            if erased and files.failed.exists():
                _remove(files.failed)  # an older failed build may still hold the erased persons
            done(started)
            report.status = "published"
            _write_report(files, report)  # a kill during the channel exports leaves this

            if options.exports:
                started = step("exports")
                report.channel_exports = _write_configured_exports()
                done(started)
    except Exception as exc:  # noqa: BLE001  (any failure: keep the last good files, report it)
        report.status = "failed"
        report.failed_step = step_name
        report.message = str(exc) if isinstance(exc, RunFailed) else f"{type(exc).__name__}: {exc}"
        if erasure_swap is not None:
            try:
                erasure_swap()
            except Exception as swap_exc:  # noqa: BLE001
                report.message += f"; re-publishing without the erased persons failed too: {swap_exc}"
        if files.work.exists() and step_name == "validate":
            os.replace(files.work, files.failed)
            os.chmod(files.failed, 0o600)
            _say(f"the build that failed validation is kept in {files.failed} for inspection")
        for leftover in (files.work, files.publish_tmp, files.exports_partial):
            if leftover.exists():
                _remove(leftover)
    report_path = _write_report(files, report)
    if report.status == "published":
        from portrait.model_runs import print_model_runs

        print_model_runs(files.private, "portrait run", sys.stderr)
        _say(f"published {len(report.published_tables or {})} mart tables to {files.publish} "
             f"(as of {report.as_of_date}); report {report_path}")
        return 0, report
    _say(f"FAILED at step {report.failed_step}: {report.message}")
    if report.erasure_publication:
        _say(f"{files.publish.name} is the last publication without the persons erased by this run; "
             f"{files.private.name} is unchanged; report {report_path}")
    elif swapped_private:
        _say(f"{files.private.name} is already the new build, {files.publish.name} still the previous "
             f"publication: the next run publishes again; report {report_path}")
    else:
        _say(f"the last good {files.private.name} and {files.publish.name} are unchanged; report {report_path}")
    return 1, report


__all__ = ["run", "RunOptions", "RunFiles", "RunReport", "RunFailed"]
