"""Writing the published file BI tools open (`PORTRAIT_PUBLISH_DB`) and its Parquet exports.

The published file holds the marts only (every table of the warehouse's `marts` schema,
in the file's `main` schema, with their descriptions) plus `portrait_publication`, one
row per table with the run id and row count, so a reader can tell which version it sees
and that it is complete. It is written in DuckDB storage version v1.0.0, which DuckDB
clients from 1.0 on read (DuckDB 2.0's default format is refused by every 1.x client).

Nothing here replaces a file in place: `write_publication` writes a new file beside the
target and `portrait.run` renames it over the old one (`os.replace`, atomic on POSIX),
so a reader sees either the old or the new version, never a half-written one.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

# DuckDB clients from 1.0.0 on read this storage version (tested in tests/python/test_run.py
# with the Python client of the oldest supported version).
STORAGE_VERSION = "v1.0.0"
MINIMUM_CLIENT = "1.0.0"
MARTS_SCHEMA = "marts"
PUBLICATION_TABLE = "portrait_publication"


@dataclass
class Publication:
    path: Path
    exports: Path
    tables: dict[str, int]


def exports_root(publish_db: Path) -> Path:
    """The Parquet exports' folder beside the published file: `<stem>_parquet/`, holding
    one folder per run and `current`, a symbolic link to the latest published run."""
    return publish_db.with_name(publish_db.stem + "_parquet")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    views = con.execute(
        "select view_name from duckdb_views() where database_name = ? and schema_name = ? order by 1",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    return sorted([r[0] for r in rows] + [r[0] for r in views])


def _copy_comments(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Carry the dbt descriptions (persisted as DuckDB comments) onto the published table."""
    row = con.execute(
        "select comment from duckdb_tables() where database_name = 'src' and schema_name = ? and table_name = ?",
        [MARTS_SCHEMA, table],
    ).fetchall()
    if row and row[0][0]:
        con.execute(f"comment on table pub.main.{quote(table)} is {literal(row[0][0])}")
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = 'src' and schema_name = ? and table_name = ? and comment is not null",
        [MARTS_SCHEMA, table],
    ).fetchall():
        con.execute(f"comment on column pub.main.{quote(table)}.{quote(column)} is {literal(comment)}")


def write_publication(
    warehouse: Path, target: Path, exports_dir: Path, run_id: str, as_of_date: str | None
) -> Publication:
    """Write the marts of `warehouse` into the new file `target` (storage v1.0.0) and as
    Parquet files into the new folder `exports_dir`. Neither may exist yet."""
    for stale in (target, Path(str(target) + ".wal")):
        stale.unlink(missing_ok=True)
    if exports_dir.exists():
        shutil.rmtree(exports_dir)
    exports_dir.mkdir(parents=True)
    published_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {literal(str(warehouse))} as src (read_only)")
        con.execute(f"attach {literal(str(target))} as pub (storage_version '{STORAGE_VERSION}')")
        tables = {}
        for table in mart_tables(con, "src"):
            source = f"src.{MARTS_SCHEMA}.{quote(table)}"
            con.execute(f"create table pub.main.{quote(table)} as select * from {source}")
            _copy_comments(con, table)
            con.execute(
                f"copy (select * from pub.main.{quote(table)}) to {literal(str(exports_dir / (table + '.parquet')))} "
                "(format parquet, compression zstd)"
            )
            tables[table] = con.execute(f"select count(*) from pub.main.{quote(table)}").fetchall()[0][0]
        if not tables:
            raise RuntimeError(f"{warehouse} has no tables in schema {MARTS_SCHEMA!r}: nothing to publish")
        con.execute(
            f"create table pub.main.{PUBLICATION_TABLE} (run_id varchar, published_at timestamp, "
            "as_of_date date, table_name varchar, row_count bigint, storage_version varchar)"
        )
        con.executemany(
            f"insert into pub.main.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?)",
            [[run_id, published_at, as_of_date, name, rows, STORAGE_VERSION] for name, rows in tables.items()],
        )
        con.execute(
            f"comment on table pub.main.{PUBLICATION_TABLE} is "
            "'Which portrait run published this file: one row per table with its row count, so a reader can "
            "check it sees one complete version. Written in DuckDB storage version " + STORAGE_VERSION + ".'"
        )
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach src")
    finally:
        con.close()
    fsync(target)
    for path in exports_dir.iterdir():
        fsync(path)
    fsync(exports_dir)
    return Publication(path=target, exports=exports_dir, tables=tables)


def fsync(path: Path) -> None:
    """Flush a file or folder to disk (so a rename after it never exposes an empty file)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() and hasattr(os, "O_DIRECTORY") else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_exports(root: Path, version_dir: Path, keep_previous: bool = True) -> None:
    """Point `root/current` at `version_dir` atomically (a new link renamed over the old
    one), then delete every run folder but the new one and the one `current` pointed at
    before (readers may still be in it; not kept when `keep_previous` is false, as after an
    erasure), including folders of runs killed mid-swap."""
    current = root / "current"
    previous = os.readlink(current) if current.is_symlink() else None
    link_tmp = root / f".current.{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    os.symlink(version_dir.name, link_tmp)
    os.replace(link_tmp, current)
    fsync(root)
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink() and not folder.name.startswith(".") \
                and folder.name not in (version_dir.name, previous if keep_previous else None):
            shutil.rmtree(folder, ignore_errors=True)


__all__ = ["write_publication", "switch_exports", "exports_root", "STORAGE_VERSION", "MINIMUM_CLIENT"]
