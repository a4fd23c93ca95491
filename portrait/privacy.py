"""PII inventory and scans: which columns hold personal data, and proof that what is
published holds none of it.

Two checks, one vocabulary:

- **Inventory** (`untagged_pii_columns`, `pii_columns_in_marts`): over dbt's
  `manifest.json`, every column of a model, seed, snapshot or source whose name says it
  holds PII (`PII_COLUMN_NAMES`, `PII_COLUMN_SUFFIXES`: the one list, kept here) must
  carry `meta: {pii: true}`, and no column of a mart may. The rule behind the list is
  in CONTRIBUTING.md ("PII columns").
- **Scan** (`scan`, `portrait privacy scan`): loads the generator's phones and e-mails
  (canonical values from `$PORTRAIT_TRUTH_DIR/identity.parquet`) and looks for them in
  every column of every table and view of a DuckDB file (by default the published file,
  `PORTRAIT_PUBLISH_DB`) and of every Parquet file under a folder. Text columns (and
  JSON, enums, nested values cast to text) are searched for phone-shaped tokens (an
  11-digit mobile `1[3-9]` + 9 digits standing alone in the text, optionally behind
  `+86`/`86`/`0086`, with spaces, dashes, dots or brackets between its groups) and
  e-mail-shaped tokens (lower-cased); large integers and integral decimals are searched
  as digit strings (a phone stored as a number). Each column's distinct values are
  tokenised and joined to the value set in DuckDB: no Python loop over rows.

The scan's report never prints a found value in clear: examples are masked.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import duckdb

# ----------------------------------------------------------------------------- inventory
# Column names that hold PII wherever they occur (CONTRIBUTING.md, "PII columns"): the
# nine identifier types in raw or canonical form, columns holding one of them under
# another name, names, birth dates, and free text that can carry contact data. Keyed
# hashes (`*_hash`), masked forms (`*_masked`) and person ids are pseudonymous: not here.
PII_COLUMN_NAMES = frozenset({
    # the nine identifier types
    "member_id", "card_no", "account_id", "phone", "email", "device_id", "anonymous_id", "openid", "unionid",
    # columns holding identifiers under another name
    "member_card_no", "recipient", "identifier", "identifier_value", "identifier_value_a", "identifier_value_b",
    "component_value", "visitor_id",
    # names and birth dates
    "full_name", "nickname", "birth_date",
    # free text that can carry contact data, and raw rows as delivered
    "comment", "customer_comment", "search_term", "page_url", "properties", "raw_row_json",
})
# ... and any column whose name ends in one of these (`ship_phone`, `contact_email`,
# `first_account_id`, `first_openid`, ...).
PII_COLUMN_SUFFIXES = ("_phone", "_email", "_member_id", "_card_no", "_account_id", "_device_id",
                       "_anonymous_id", "_openid", "_unionid")
# ... except booleans, which are named `is_`/`has_` (`is_contactable_email`).
NOT_PII_PREFIXES = ("is_", "has_")
# The schema dbt builds marts into; everything in it is published (portrait.publish).
MARTS_SCHEMA = "marts"
MARTS_PATH = "models/marts/"


def looks_like_pii(column: str) -> bool:
    """True when a column's name says it holds PII (the inventory's name list)."""
    name = column.lower()
    return name in PII_COLUMN_NAMES or (name.endswith(PII_COLUMN_SUFFIXES) and not name.startswith(NOT_PII_PREFIXES))


def is_tagged_pii(column: dict[str, Any]) -> bool:
    """`meta: {pii: true}` on a manifest column (dbt 1.11 keeps it in `meta` and `config.meta`)."""
    meta = {**(column.get("config") or {}).get("meta", {}), **(column.get("meta") or {})}
    return str(meta.get("pii", "")).lower() in ("true", "yes", "1")


def _documented_nodes(manifest: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed", "snapshot"):
            yield node
    yield from manifest.get("sources", {}).values()


def _node_label(node: dict[str, Any]) -> str:
    if node["resource_type"] == "source":
        return f"source {node['source_name']}.{node['name']}"
    return f"{node['resource_type']} {node['name']}"


def is_mart(node: dict[str, Any]) -> bool:
    """A model that is published: built into schema `marts` or kept under models/marts/."""
    return node["resource_type"] == "model" and (
        node.get("schema") == MARTS_SCHEMA or node.get("original_file_path", "").startswith(MARTS_PATH))


def untagged_pii_columns(manifest: dict[str, Any]) -> list[str]:
    """`<kind> <name>.<column>` for every documented column outside the marts whose name
    looks like PII but that lacks `meta: {pii: true}`."""
    return sorted(
        f"{_node_label(node)}.{name}"
        for node in _documented_nodes(manifest) if not is_mart(node)
        for name, column in node["columns"].items()
        if looks_like_pii(name) and not is_tagged_pii(column)
    )


def pii_columns_in_marts(manifest: dict[str, Any]) -> list[str]:
    """`model <name>.<column>` for every mart column that is tagged PII or named like PII."""
    return sorted(
        f"{_node_label(node)}.{name}"
        for node in _documented_nodes(manifest) if is_mart(node)
        for name, column in node["columns"].items()
        if is_tagged_pii(column) or looks_like_pii(name)
    )


# ----------------------------------------------------------------------------- scan
PII_TYPES = ("phone", "email")
# A phone-shaped token: not preceded by a digit, an optional country code, then the
# mobile's 3-4-4 groups with optional separators, then any further digits (so that a
# longer digit run is seen whole and rejected by the length check in `_PHONE_DIGITS`).
PHONE_PATTERN = (r"(^|[^0-9])((\+|00)?86)?[\s\-.()（）\x{3000}]*1[3-9][0-9][\s\-.()（）\x{3000}]*"
                 r"[0-9]{4}[\s\-.\x{3000}]*[0-9]{4}[0-9]*")
EMAIL_PATTERN = r"[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}"
# Of a phone-shaped token's digits, a mobile alone or behind 86 / 0086.
_PHONE_DIGITS = ("(length({d}) = 11 or (length({d}) = 13 and {d} like '86%') "
                 "or (length({d}) = 15 and {d} like '0086%'))")
# Numbers that can hold a mobile (an 11-digit integer, maybe behind 86): integers wide
# enough, and fractional types whose integral values can be that large.
_INTEGER_TYPES = {"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT", "VARINT", "BIGNUM"}
_FRACTIONAL_TYPES = {"DOUBLE"}
_SMALLEST_PHONE = 13_000_000_000


@dataclass
class Hit:
    """Generator values of one kind found in one column."""
    source: str           # the DuckDB file or the Parquet file
    table: str            # schema.table in the DuckDB file, or the Parquet file's name
    column: str
    data_type: str
    kind: str             # phone or email
    rows: int             # rows whose value holds at least one generator value of this kind
    distinct_values: int  # distinct generator values found
    example: str          # one of them, masked


@dataclass
class ScanResult:
    tables_scanned: int = 0
    columns_scanned: int = 0
    values_searched: int = 0
    hits: list[Hit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def found(self) -> int:
        """Rows holding a generator phone or e-mail, over every column scanned."""
        return sum(hit.rows for hit in self.hits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables_scanned": self.tables_scanned,
            "columns_scanned": self.columns_scanned,
            "values_searched": self.values_searched,
            "hits": [asdict(hit) for hit in self.hits],
            "found": self.found,
            "errors": self.errors,
        }


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def mask(kind: str, value: str) -> str:
    """A found value as the report shows it: `138****5678`, `z***@qq.com`."""
    if kind == "phone":
        return value[:3] + "****" + value[-4:]
    local, _, domain = value.partition("@")
    return local[:1] + "***@" + domain


def _column_kind(data_type: str) -> str | None:
    """How a column is searched: `text`, `integer`, `fractional`, or not at all (None)."""
    upper = data_type.upper()
    if upper in ("VARCHAR", "JSON") or upper.startswith(("ENUM", "STRUCT", "MAP", "UNION")) or upper.endswith("]"):
        return "text"
    if upper in _INTEGER_TYPES:
        return "integer"
    if upper in _FRACTIONAL_TYPES:
        return "fractional"
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal and int(decimal.group(1)) - int(decimal.group(2)) >= 11:
        return "fractional"
    return None


def _values_sql(relation: str, column: str, kind: str) -> str:
    """The column's distinct non-null values as text (`v`) with their row counts (`n`)."""
    col = quote(column)
    if kind == "text":
        return f"select cast({col} as varchar) as v, count(*) as n from {relation} where {col} is not null group by 1"
    if kind == "integer":
        return (f"select cast({col} as varchar) as v, count(*) as n from {relation} "
                f"where {col} >= {_SMALLEST_PHONE} or {col} <= -{_SMALLEST_PHONE} group by 1")
    return (f"select cast(cast({col} as hugeint) as varchar) as v, count(*) as n from {relation} "
            f"where abs({col}) >= {_SMALLEST_PHONE} and abs({col}) < 1e20 and {col} = trunc({col}) group by 1")


def _column_hits_sql(relation: str, column: str, kind: str) -> str:
    """Per PII type: rows holding a generator value, distinct values found, one example."""
    digits = _PHONE_DIGITS.format(d="digits")
    emails = (f"""
        union all
        select distinct v, 'email' as kind, token from (
            select v, unnest(regexp_extract_all(lower(v), {literal(EMAIL_PATTERN)})) as token
            from vals where contains(v, '@')
        ) as email_matches""" if kind == "text" else "")
    return f"""
        with vals as ({_values_sql(relation, column, kind)}),
        phone_matches as (
            select v, regexp_replace(token, '[^0-9]', '', 'g') as digits from (
                select v, unnest(regexp_extract_all(v, {literal(PHONE_PATTERN)})) as token
                from vals where regexp_matches(v, '1[3-9][0-9]')
            ) as phone_tokens
        ),
        candidates as (
            select distinct v, 'phone' as kind, right(digits, 11) as token from phone_matches where {digits}
            {emails}
        ),
        hits as (
            select candidates.v, candidates.kind, candidates.token
            from candidates inner join pii_values
                on candidates.kind = pii_values.kind and candidates.token = pii_values.value
        ),
        per_value as (select kind, v, min(token) as token from hits group by kind, v),
        rows_by_kind as (
            select per_value.kind, sum(vals.n) as rows_hit, min(per_value.token) as example
            from per_value inner join vals on per_value.v = vals.v group by per_value.kind
        ),
        values_by_kind as (select kind, count(distinct token) as distinct_values from hits group by kind)
        select rows_by_kind.kind, rows_by_kind.rows_hit, values_by_kind.distinct_values, rows_by_kind.example
        from rows_by_kind inner join values_by_kind on rows_by_kind.kind = values_by_kind.kind
        order by 1
    """


def load_pii_values(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> int:
    """The generator's canonical phones and e-mails into temp table `pii_values`; their number."""
    identity = truth_dir / "identity.parquet"
    if not identity.exists():
        raise FileNotFoundError(f"{identity} not found: the scan needs the generator's truth (--truth)")
    types = ", ".join(literal(t) for t in PII_TYPES)
    con.execute(
        "create or replace temp table pii_values as "
        "select distinct identifier_type as kind, identifier_value as value "
        f"from read_parquet({literal(str(identity))}) "
        f"where identifier_type in ({types}) and identifier_value is not null"
    )
    return con.execute("select count(*) from pii_values").fetchall()[0][0]


def _database_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(label, SQL relation, [(column, type)]) for every table and view of the opened file."""
    rows = con.execute(
        "select database_name, schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and not internal "
        "order by schema_name, table_name, column_index"
    ).fetchall()
    relations: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for database, schema, table, column, data_type in rows:
        relations.setdefault((database, schema, table), []).append((column, data_type))
    return [(f"{schema}.{table}", f"{quote(database)}.{quote(schema)}.{quote(table)}", columns)
            for (database, schema, table), columns in relations.items()]


def _parquet_files(folder: Path) -> list[Path]:
    """Every `*.parquet` under `folder`, following links to folders (each real folder once)."""
    files, visited = [], set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = Path(root).resolve()
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs.sort()
        files += [Path(root) / name for name in sorted(names) if name.endswith(".parquet")]
    return files


def _parquet_relations(con: duckdb.DuckDBPyConnection, folder: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(label, SQL relation, [(column, type)]) for every Parquet file under `folder`, each
    file once (links such as `current/` followed, duplicates by real path dropped)."""
    seen: set[Path] = set()
    relations = []
    for path in _parquet_files(folder):
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        relation = f"read_parquet({literal(str(path))})"
        columns = [(r[0], r[1]) for r in con.execute(f"describe select * from {relation}").fetchall()]
        relations.append((str(path.relative_to(folder)), relation, columns))
    return relations


def scan(db: Path | None, truth_dir: Path, parquet_dir: Path | None = None, progress: bool = True) -> ScanResult:
    """Search `db` (every table and view of every schema) and the Parquet files under
    `parquet_dir` for the generator's phones and e-mails (see the module docstring)."""
    from tqdm import tqdm

    if db is not None and not db.exists():
        raise FileNotFoundError(f"{db} not found")
    if parquet_dir is not None and not parquet_dir.is_dir():
        raise FileNotFoundError(f"{parquet_dir} is not a folder")
    con = duckdb.connect(str(db), read_only=True) if db is not None else duckdb.connect()
    result = ScanResult()
    try:
        con.execute("set enable_progress_bar = false")
        result.values_searched = load_pii_values(con, truth_dir)
        targets = []
        if db is not None:
            targets += [(str(db), *relation) for relation in _database_relations(con)]
        if parquet_dir is not None:
            targets += [(str(parquet_dir), *relation) for relation in _parquet_relations(con, parquet_dir)]
        jobs = [(source, label, relation, column, data_type, kind)
                for source, label, relation, columns in targets
                for column, data_type in columns
                if (kind := _column_kind(data_type)) is not None]
        result.tables_scanned = len(targets)
        bar = tqdm(jobs, desc="privacy scan", unit="column", disable=not progress, file=sys.stderr)
        for source, label, relation, column, data_type, kind in bar:
            bar.set_postfix_str(f"{label}.{column}"[-60:], refresh=False)
            try:
                rows = con.execute(_column_hits_sql(relation, column, kind)).fetchall()
            except duckdb.Error as exc:
                result.errors.append(f"{source}: {label}.{column}: {exc}".splitlines()[0])
                continue
            result.columns_scanned += 1
            result.hits += [Hit(source=source, table=label, column=column, data_type=data_type, kind=pii_kind,
                                rows=int(rows_hit), distinct_values=int(values), example=mask(pii_kind, example))
                            for pii_kind, rows_hit, values, example in rows]
    finally:
        con.close()
    return result


def print_scan(result: ScanResult, file: Any = sys.stdout) -> None:
    """The scan as text: one line per column with hits, then the totals."""
    for hit in result.hits:
        print(f"  FOUND {hit.kind:<5} {hit.table}.{hit.column} ({hit.data_type}): {hit.rows} rows, "
              f"{hit.distinct_values} distinct values, e.g. {hit.example}   [{hit.source}]", file=file)
    for error in result.errors:
        print(f"  NOT SCANNED {error}", file=file)
    verdict = "none found" if not result.found else f"{result.found} rows hold them"
    print(f"privacy scan: {result.tables_scanned} tables, {result.columns_scanned} columns searched for "
          f"{result.values_searched} generator phones and e-mails: {verdict}", file=file)


__all__ = [
    "PII_COLUMN_NAMES", "PII_COLUMN_SUFFIXES", "looks_like_pii", "is_tagged_pii", "is_mart",
    "untagged_pii_columns", "pii_columns_in_marts", "Hit", "ScanResult", "scan", "print_scan", "mask",
]
