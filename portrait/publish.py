"""Writing the published file BI tools open (`PORTRAIT_PUBLISH_DB`) and its Parquet exports.

The published file holds the marts only (every table of the warehouse's `marts` schema,
in a schema of the same name, with their descriptions) plus `marts.portrait_publication`,
one row per table with the run id and row count, so a reader can tell which version it
sees and that it is complete; a query runs unchanged against the private or the published
file. Deprecated views `main.<table>` keep unqualified queries written for the earlier
layout working (CHANGELOG.md). It is written in DuckDB storage version v1.0.0, which DuckDB
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


def published_schema(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """The schema holding the marts in a published file attached as `catalog`: `marts`, or
    `main` in a file published before the marts moved there."""
    found = con.execute("select count(*) from duckdb_tables() where database_name = ? and schema_name = ?",
                        [catalog, MARTS_SCHEMA]).fetchall()[0][0]
    return MARTS_SCHEMA if found else "main"


def read_publication(db: Path, sql: str, published: bool = True) -> list[tuple] | None:
    """Rows of `sql` run on a read-only attach of `db` as `pub`, with `{schema}` the schema
    holding its marts (`published_schema`; `marts` for a private warehouse when `published`
    is false); None when the file is missing or unreadable."""
    if not db.exists():
        return None
    try:
        con = duckdb.connect()
        try:
            con.execute(f"attach {literal(str(db))} as pub (read_only)")
            schema = published_schema(con, "pub") if published else MARTS_SCHEMA
            return con.execute(sql.format(schema=schema)).fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return None


def _copy_comments(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Carry the dbt descriptions (persisted as DuckDB comments) onto the published table."""
    row = con.execute(
        "select comment from duckdb_tables() where database_name = 'src' and schema_name = ? and table_name = ?",
        [MARTS_SCHEMA, table],
    ).fetchall()
    if row and row[0][0]:
        con.execute(f"comment on table pub.marts.{quote(table)} is {literal(row[0][0])}")
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = 'src' and schema_name = ? and table_name = ? and comment is not null",
        [MARTS_SCHEMA, table],
    ).fetchall():
        con.execute(f"comment on column pub.marts.{quote(table)}.{quote(column)} is {literal(comment)}")


def _add_compatibility_views(target: Path, tables: list[str]) -> None:
    """Views `main.<table>` over `marts.<table>`, so queries written before the marts moved
    to schema `marts` (unqualified names resolve in `main`) keep working for now
    (CHANGELOG.md). Created on the file itself, so the view text names no catalog."""
    con = duckdb.connect(str(target))
    try:
        for table in tables:
            con.execute(f"create view main.{quote(table)} as select * from {MARTS_SCHEMA}.{quote(table)}")
            con.execute(f"comment on view main.{quote(table)} is "
                        f"{literal(f'Deprecated alias of {MARTS_SCHEMA}.{table}: query {MARTS_SCHEMA}.{table}.')}")
        con.execute("checkpoint")
    finally:
        con.close()


def _publish_export_ledger(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> dict[str, int]:
    """`marts.audit_exports` and `marts.audit_export_erasures`: the ledger of channel
    exports (portrait.activation.exports), which lives outside the swapped warehouse files;
    no PII (ids, counts, file names and hashes). Returns their row counts ({} when no
    export was ever made)."""
    from portrait import paths
    from portrait.activation.exports import LEDGER

    ledger = paths.export_dir() / LEDGER
    if not ledger.exists():
        return {}
    queries = {
        "audit_exports": (
            "select export_id, audience_code, channel, kind, rows, exited_rows, control_rows, "
            "regexp_extract(file, '[^/]+$') as file, sha256, file_format, as_of_date, run_id, created_at "
            "from ledger.main.exports order by created_at",
            "Every channel export made (portrait export): audience, channel, full or delta, rows, exited rows, "
            "control rows held out, the file name and its sha256, the as-of date and run it was cut from. "
            "Append-only ledger kept outside the warehouse; no PII."),
        "audit_export_erasures": (
            "select * from ledger.main.export_erasures order by erased_at, export_id",
            "Which channel exports held a person erased later (export id, erasure request id, persons): their "
            "files were deleted at the next run; the data controller tells each export's recipient. No PII."),
    }
    out = {}
    con.execute(f"attach {literal(str(ledger))} as ledger (read_only)")
    try:
        present = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'ledger'").fetchall()}
        for table, (sql, comment) in queries.items():
            if sql.split(" from ledger.main.")[1].split()[0] not in present:
                continue
            con.execute(f"create table pub.marts.{table} as {sql}")
            con.execute(f"comment on table pub.marts.{table} is {literal(comment)}")
            con.execute(f"copy (select * from pub.marts.{table}) to {literal(str(exports_dir / (table + '.parquet')))} "
                        "(format parquet, compression zstd)")
            out[table] = con.execute(f"select count(*) from pub.marts.{table}").fetchall()[0][0]
    finally:
        con.execute("detach ledger")
    return out


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
        con.execute(f"create schema pub.{MARTS_SCHEMA}")
        tables = {}
        for table in mart_tables(con, "src"):
            source = f"src.{MARTS_SCHEMA}.{quote(table)}"
            con.execute(f"create table pub.marts.{quote(table)} as select * from {source}")
            _copy_comments(con, table)
            con.execute(
                f"copy (select * from pub.marts.{quote(table)}) to {literal(str(exports_dir / (table + '.parquet')))} "
                "(format parquet, compression zstd)"
            )
            tables[table] = con.execute(f"select count(*) from pub.marts.{quote(table)}").fetchall()[0][0]
        if not tables:
            raise RuntimeError(f"{warehouse} has no tables in schema {MARTS_SCHEMA!r}: nothing to publish")
        tables.update(_publish_export_ledger(con, exports_dir))
        con.execute(
            f"create table pub.marts.{PUBLICATION_TABLE} (run_id varchar, published_at timestamp, "
            "as_of_date date, table_name varchar, row_count bigint, storage_version varchar)"
        )
        con.executemany(
            f"insert into pub.marts.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?)",
            [[run_id, published_at, as_of_date, name, rows, STORAGE_VERSION] for name, rows in tables.items()],
        )
        con.execute(
            f"comment on table pub.marts.{PUBLICATION_TABLE} is "
            "'Which portrait run published this file: one row per table with its row count, so a reader can "
            "check it sees one complete version. Written in DuckDB storage version " + STORAGE_VERSION + ".'"
        )
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach src")
    finally:
        con.close()
    _add_compatibility_views(target, [*tables, PUBLICATION_TABLE])
    fsync(target)
    for path in exports_dir.iterdir():
        fsync(path)
    fsync(exports_dir)
    return Publication(path=target, exports=exports_dir, tables=tables)


def erased_keys(warehouse: Path) -> tuple[list[str], list[str]]:
    """(person ids, identifier hashes) the suppression list of `warehouse` names under the
    hash key it was built with (every key's entries: a rotation keeps older ones)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select identifier_type = 'person', identifier_hash "
                           "from privacy.privacy_suppression_list").fetchall()
    except duckdb.CatalogException:
        return [], []
    finally:
        con.close()
    return sorted({h for is_person, h in rows if is_person}), sorted({h for is_person, h in rows if not is_person})


def erased_persons(warehouse: Path) -> dict[str, str]:
    """Person id -> erasure request id of every person the suppression list of `warehouse`
    names (every id it gives them)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select identifier_hash, min(erasure_request_id) from privacy.privacy_suppression_list "
                           "where identifier_type = 'person' group by identifier_hash").fetchall()
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()
    return dict(rows)


def _erasable_columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    """Columns of a published table that hold a person id or an identifier hash."""
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? "
        "and (column_name like '%person_id' or column_name like '%identifier_hash')",
        [catalog, schema, table]).fetchall()]


def rows_of_erased(publication: Path, person_ids: list[str], hashes: list[str]) -> dict[str, int]:
    """Rows per table of `publication` that belong to the erased persons or identifiers: the
    drop an erasure explains (the quality gate allows it)."""
    if not publication.exists() or not (person_ids or hashes):
        return {}
    con = duckdb.connect()
    try:
        con.execute(f"attach {literal(str(publication))} as prev (read_only)")
        _erasure_keys(con, person_ids, hashes)
        schema = published_schema(con, "prev")
        out = {}
        for table in [r[0] for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'prev' and schema_name = ?",
                [schema]).fetchall()]:
            columns = _erasable_columns(con, "prev", schema, table)
            if columns:
                out[table] = con.execute(
                    f"select count(*) from prev.{schema}.{quote(table)} where {_erased_condition(columns)}"
                ).fetchall()[0][0]
        return out
    finally:
        con.close()


def _erasure_keys(con: duckdb.DuckDBPyConnection, person_ids: list[str], hashes: list[str]) -> None:
    con.execute("create temporary table erased_keys (key varchar)")
    if person_ids or hashes:
        con.executemany("insert into erased_keys values (?)", [[k] for k in [*person_ids, *hashes]])


def _erased_condition(columns: list[str]) -> str:
    return " or ".join(f"{quote(c)} in (select key from erased_keys)" for c in columns)


def write_redacted_publication(previous: Path, warehouse: Path, target: Path, exports_dir: Path, run_id: str
                               ) -> Publication:
    """The last publication with the persons erased since taken out, for a run whose new
    build cannot be published (its quality gate failed): no check may hold back an
    erasure. Every row holding an erased person id or identifier hash (from the suppression
    list of `warehouse`, the new build) is deleted, and the erasure ledger is the new
    build's (it records the erasures). Everything else stays as published last, including
    aggregates, which hold no one's data. Written like `write_publication`."""
    person_ids, hashes = erased_keys(warehouse)
    for stale in (target, Path(str(target) + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(previous, target)
    os.chmod(target, 0o644)
    if exports_dir.exists():
        shutil.rmtree(exports_dir)
    exports_dir.mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {literal(str(target))} as pub")
        con.execute(f"attach {literal(str(warehouse))} as src (read_only)")
        _erasure_keys(con, person_ids, hashes)
        schema = published_schema(con, "pub")
        tables = {}
        for table in [r[0] for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'pub' and schema_name = ? "
                "and table_name != ?", [schema, PUBLICATION_TABLE]).fetchall()]:
            relation = f"pub.{schema}.{quote(table)}"
            if table == "audit_erasures":
                con.execute(f"create or replace table {relation} as select * from src.{MARTS_SCHEMA}.audit_erasures")
            else:
                columns = _erasable_columns(con, "pub", schema, table)
                if columns:
                    con.execute(f"delete from {relation} where {_erased_condition(columns)}")
            con.execute(f"copy (select * from {relation}) to {literal(str(exports_dir / (table + '.parquet')))} "
                        "(format parquet, compression zstd)")
            tables[table] = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
        published_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        as_of = con.execute(f"select max(as_of_date) from pub.{schema}.{PUBLICATION_TABLE}").fetchall()[0][0]
        con.execute(f"delete from pub.{schema}.{PUBLICATION_TABLE}")
        con.executemany(
            f"insert into pub.{schema}.{PUBLICATION_TABLE} by name select ? as run_id, ? as published_at, "
            "? as as_of_date, ? as table_name, ? as row_count, ? as storage_version",
            [[run_id, published_at, as_of, name, rows, STORAGE_VERSION] for name, rows in tables.items()])
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach src")
    finally:
        con.close()
    # Deleted rows stay in freed blocks of a DuckDB file: rewrite it so they are gone.
    fresh = target.with_name(target.name + ".compact")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {literal(str(target))} as source_db (read_only)")
        con.execute(f"attach {literal(str(fresh))} as fresh_db (storage_version '{STORAGE_VERSION}')")
        con.execute("copy from database source_db to fresh_db")
        con.execute("detach fresh_db")
        con.execute("detach source_db")
    finally:
        con.close()
    os.replace(fresh, target)
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


__all__ = ["write_publication", "write_redacted_publication", "read_publication", "erased_keys", "rows_of_erased", "published_schema", "switch_exports", "exports_root", "STORAGE_VERSION", "MINIMUM_CLIENT"]
