"""Checks `portrait run` makes before it builds anything: what would otherwise fail late,
or worse, publish a smaller or wrong warehouse with exit 0.

- **The landing zone.** Every raw table of the contract is inventoried from its Parquet
  footers (cheap: no data is read): a table that held rows at the last publication and
  is now absent or empty fails the run, naming the table, unless the operator allows it
  (`--allow-missing TABLE`); so does a drop of a table's raw rows beyond the configured
  share (raw files are append-only: a new export is a new file), unless allowed
  (`--allow-drop TABLE`). A file lacking a column of the contract (renamed in the
  export) stops the run naming the table, file and column. Files that are not Parquet are listed (the run report warns;
  `audit_row_reconciliation.ignored_files` counts them). A file whose footer or data
  cannot be read stops the run naming the raw table and file: files not seen by an
  earlier run are read in full once (their names, sizes and times are remembered in
  `runs/raw_files_checked.json` beside the warehouse), so a corrupt page fails here
  rather than as an unattributed error deep in the build.
- **The folders.** The warehouse and publication folders are writable, and the disk
  holding them has room for the working copy (and its compaction) and the new
  publication.
- **The as-of date.** An explicit `--as-of` in the future, before the data starts, or
  before the last publication's as-of date (a backfill, which would replace what BI
  users see with an older view) is refused unless the operator says so.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from portrait.generate.contract import RAW_CONTRACT

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
CHECKED_FILES = "raw_files_checked.json"
# Room the disk must have beyond the working copy: DuckDB's own temporary files and the
# compaction after an erasure write a second copy of the warehouse.
DISK_FACTOR = 2.2


class PreflightFailed(Exception):
    """The run must not start; the message names the input and what to do."""


@dataclass
class RawTable:
    name: str
    folder: Path
    present: bool
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    ignored_files: list[str] = field(default_factory=list)
    ignored_folders: list[str] = field(default_factory=list)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def inventory(raw_dir: Path) -> dict[str, RawTable]:
    """Each contract table's folder: present or not, its Parquet files and their row
    counts (from the footers), and what else lies there. A footer that cannot be read
    raises `PreflightFailed` naming the table and file."""
    import pyarrow.parquet as pq

    tables: dict[str, RawTable] = {}
    for name in RAW_CONTRACT:
        folder = raw_dir / name
        table = RawTable(name=name, folder=folder, present=folder.is_dir())
        if table.present:
            for path in sorted(folder.iterdir()):
                if path.name.startswith("."):
                    continue  # hidden files (editors, sync tools) are not exports
                if path.is_dir():
                    # not read (a table's files lie directly in its folder): a partitioned
                    # export (`dt=2026-06-01/`) would otherwise be skipped unnoticed
                    table.ignored_folders.append(path.name)
                    continue
                if path.suffix != ".parquet":
                    table.ignored_files.append(path.name)
                    continue
                try:
                    footer = pq.ParquetFile(path)
                except Exception as exc:  # noqa: BLE001  (pyarrow raises several kinds)
                    raise PreflightFailed(
                        f"raw table {name}: file {_relative(path, raw_dir)} is not a readable Parquet file "
                        f"({type(exc).__name__}: {exc}); remove or replace it, then run again") from None
                present = {column.lower() for column in footer.schema_arrow.names}
                lacking = [column for column in RAW_CONTRACT[name] if column.lower() not in present]
                if lacking:
                    raise PreflightFailed(
                        f"raw table {name}: file {_relative(path, raw_dir)} lacks required column(s) "
                        f"{', '.join(repr(c) for c in lacking)} of the raw contract (docs/raw_formats.md); it has "
                        f"{', '.join(footer.schema_arrow.names)}. Rename the column(s) in the export, then run again")
                table.rows += footer.metadata.num_rows
                table.files.append(path)
        tables[name] = table
    return tables


def _file_key(path: Path) -> list:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def check_new_files_readable(tables: dict[str, RawTable], raw_dir: Path, state_dir: Path,
                             say=lambda message: None) -> int:
    """Read in full every Parquet file not read by an earlier run (by its path relative to
    the landing zone, size and modification time); raises `PreflightFailed` naming the
    raw table and file of the first that fails. Returns how many files were read."""
    import pyarrow.parquet as pq

    state_file = state_dir / CHECKED_FILES
    try:
        checked = json.loads(state_file.read_text())
    except (OSError, ValueError):
        checked = {}
    todo = [(table, path) for table in tables.values() for path in table.files
            if checked.get(_relative(path, raw_dir)) != _file_key(path)]
    if todo:
        say(f"reading {len(todo)} raw file(s) not read before, to name any unreadable one")
    for table, path in todo:
        try:
            for _ in pq.ParquetFile(path).iter_batches(batch_size=65_536):
                pass
        except Exception as exc:  # noqa: BLE001
            raise PreflightFailed(
                f"raw table {table.name}: file {_relative(path, raw_dir)} cannot be read "
                f"({type(exc).__name__}: {exc}); remove or replace it, then run again") from None
        checked[_relative(path, raw_dir)] = _file_key(path)
    live = {_relative(path, raw_dir) for table in tables.values() for path in table.files}
    checked = {name: key for name, key in checked.items() if name in live}
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(checked, indent=0, sort_keys=True))
    os.replace(tmp, state_file)
    return len(todo)


def previous_raw_rows(db: Path, published: bool = True) -> dict[str, int] | None:
    """Raw rows per raw table at the last publication (`audit_row_reconciliation` of the
    published file, or of the private warehouse with `published=False`), or None when
    there is no readable file."""
    from portrait.publish import read_publication

    rows = read_publication(db, "select source_table, raw_rows from pub.{schema}.audit_row_reconciliation",
                            published)
    return None if rows is None else dict(rows)


@dataclass
class RawCheck:
    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_raw_tables(tables: dict[str, RawTable], previous: dict[str, int] | None, max_row_drop: float,
                     allow_missing: set[str], allow_drop: set[str]) -> RawCheck:
    """Compare the landing zone with the last publication (see the module docstring)."""
    unknown = allow_missing - set(RAW_CONTRACT)
    result = RawCheck()
    if unknown:
        result.problems.append(f"--allow-missing names no raw table: {', '.join(sorted(unknown))} "
                               f"(raw tables: {', '.join(RAW_CONTRACT)})")
    for name, table in tables.items():
        if table.ignored_files:
            shown = ", ".join(table.ignored_files[:5]) + (" ..." if len(table.ignored_files) > 5 else "")
            result.warnings.append(f"raw table {name}: {len(table.ignored_files)} file(s) that are not Parquet "
                                   f"ignored in {table.folder}: {shown}")
        if table.ignored_folders:
            shown = ", ".join(table.ignored_folders[:5]) + (" ..." if len(table.ignored_folders) > 5 else "")
            result.warnings.append(f"raw table {name}: {len(table.ignored_folders)} folder(s) not read in "
                                   f"{table.folder} (a table's Parquet files must lie directly in its folder): "
                                   f"{shown}")
        before = (previous or {}).get(name) or 0
        now = table.rows
        if before == 0:
            continue
        if now == 0:
            what = "is missing" if not table.present else "holds no rows"
            message = (f"raw table {name} {what} ({table.folder}) but held {before} rows at the last "
                       "publication")
            if name in allow_missing:
                result.allowed.append(message + ": allowed by --allow-missing")
            else:
                result.problems.append(message + f"; restore it, or run with --allow-missing {name} if it is "
                                                  "really gone")
        elif now < before * (1 - max_row_drop):
            message = (f"raw table {name} has {now} rows, {before} at the last publication: a drop of "
                       f"{1 - now / before:.0%} (more than {max_row_drop:.0%}; raw files are append-only)")
            if name in allow_drop or name in allow_missing:
                flag = "--allow-drop" if name in allow_drop else "--allow-missing"
                result.allowed.append(message + f": allowed by {flag}")
            else:
                result.problems.append(message + f"; restore the files, or run with --allow-drop {name}")
    return result


def check_writable(private: Path, publish: Path) -> None:
    """The warehouse and publication folders exist (or can be made) and are writable, and
    their disks have room for the working copy and the new publication."""
    for folder in {private.parent, publish.parent}:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PreflightFailed(f"cannot create the folder {folder}: {exc}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PreflightFailed(f"the folder {folder} is not writable by this user: the run writes its "
                                  "working copy and new files there")
    need: dict[int, tuple[int, Path]] = {}
    for path, factor in ((private, DISK_FACTOR), (publish, 1.0)):
        size = path.stat().st_size if path.exists() else 0
        device = os.stat(path.parent).st_dev
        total, where = need.get(device, (0, path.parent))
        need[device] = (total + int(size * factor), where)
    for required, where in need.values():
        free = shutil.disk_usage(where).free
        if required > free:
            raise PreflightFailed(f"not enough free disk for the run in {where}: {free / 1e9:.2f} GB free, about "
                                  f"{required / 1e9:.2f} GB needed (a working copy of the warehouse, its compaction "
                                  "after an erasure, and the new publication)")


def local_today() -> dt.date:
    return dt.datetime.now(LOCAL_ZONE).date()


def data_dates(private: Path) -> tuple[dt.date | None, dt.date | None]:
    """(first date of any order, as-of date) of a built private warehouse, or Nones."""
    if not private.exists():
        return None, None
    try:
        con = duckdb.connect(str(private), read_only=True)
    except duckdb.Error:
        return None, None
    try:
        first = con.execute("select min(order_date) from marts.fct_orders").fetchall()[0][0]
        as_of = con.execute("select max(as_of_date) from intermediate.int_profile__as_of_date").fetchall()[0][0]
        return first, as_of
    except duckdb.Error:
        return None, None
    finally:
        con.close()


def previous_as_of(publish_db: Path) -> dt.date | None:
    from portrait.publish import PUBLICATION_TABLE, read_publication

    rows = read_publication(publish_db, f"select max(as_of_date) from pub.{{schema}}.{PUBLICATION_TABLE}")
    return rows[0][0] if rows else None


def check_as_of(as_of: dt.date, first_date: dt.date | None, published_as_of: dt.date | None,
                force: bool, backfill: bool) -> list[str]:
    """Problems with an explicit `--as-of` (empty when it is fine)."""
    problems = []
    today = local_today()
    if not force and as_of > today:
        problems.append(f"--as-of {as_of} is in the future (today is {today} in Asia/Shanghai); "
                        "use --force-as-of to build it anyway")
    if not force and first_date is not None and as_of < first_date:
        problems.append(f"--as-of {as_of} is before the data starts (first order {first_date}); "
                        "use --force-as-of to build it anyway")
    if not backfill and published_as_of is not None and as_of < published_as_of:
        problems.append(f"--as-of {as_of} is before the published as-of date {published_as_of}: publishing it "
                        "would replace what BI users see with an older view; use --backfill to publish it "
                        "deliberately")
    return problems


__all__ = ["PreflightFailed", "inventory", "check_raw_tables", "check_new_files_readable", "previous_raw_rows",
           "check_writable", "check_as_of", "data_dates", "previous_as_of", "RawTable"]
