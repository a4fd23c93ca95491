"""`portrait privacy scan`: the generator's phones and e-mails are nowhere in what
`portrait run` publishes (file and Parquet exports), and the scan does find them where
they are: values planted in a small file, and the private warehouse of the same build,
every one of whose hits lies in a column tagged `meta: {pii: true}`.

The published file is the session's tiny `portrait run` (`tiny_nightly`, shared with
test_run.py): no build of its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from portrait.privacy import is_tagged_pii, scan
from warehouse_fixtures import Nightly, portrait

PHONES = ["13812345678", "15987654321", "18600001111", "13511112222"]
EMAILS = ["zhang.wei@qq.com", "li_na1990@163.com"]


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A truth folder whose identity.parquet holds only the values above (and an openid)."""
    folder = tmp_path_factory.mktemp("planted_truth")
    rows = [("phone", p) for p in PHONES] + [("email", e) for e in EMAILS] + [("openid", "o13812345678")]
    with duckdb.connect() as con:
        con.execute("create table identity (identifier_type varchar, identifier_value varchar, person_key bigint)")
        con.executemany("insert into identity values (?, ?, 1)", rows)
        con.execute(f"copy identity to '{folder / 'identity.parquet'}' (format parquet)")
    return folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A DuckDB file and a Parquet folder holding the values in the shapes a leak takes,
    beside near misses that are not them."""
    folder = tmp_path_factory.mktemp("planted")
    db = folder / "planted.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema crm")
        con.execute("create table crm.notes (note varchar, amount_cents bigint, score double, tags varchar[])")
        con.executemany("insert into crm.notes values (?, ?, ?, ?)", [
            # a phone inside Chinese text, behind +86 with dashes; a probability; a list
            ["客户电话 +86 138-1234-5678，请回电", 1200, 0.13812345678, ["vip", "15987654321"]],
            # an e-mail in upper case inside text; a phone stored as a number
            ["Contact: ZHANG.WEI@QQ.COM thanks", 18600001111, 1.5, None],
            # near misses: a longer digit run, a placeholder phone, another address, a decimal
            ["order 138123456789 / 13800138000 / wei@qq.com / 1.3812345678", 8613511112222, None, None],
            [None, 5, 13511112222.0, []],
        ])
        con.execute("create table main.clean (city varchar, orders bigint)")
        con.execute("insert into main.clean values ('上海', 12), ('北京', 13800138000)")
    exports = folder / "exports"
    (exports / "run-1").mkdir(parents=True)
    os.symlink("run-1", exports / "current")
    with duckdb.connect() as con:
        con.execute(f"copy (select 'wechat' as channel, '{PHONES[3]}' as target) "
                    f"to '{exports / 'run-1' / 'touches.parquet'}' (format parquet)")
    return db, exports


def test_the_scan_finds_planted_phones_and_emails_in_every_shape(truth: Path, planted: tuple[Path, Path]) -> None:
    db, exports = planted
    result = scan(db, truth, exports, progress=False)
    found = {(hit.table, hit.column, hit.kind): (hit.rows, hit.distinct_values) for hit in result.hits}
    assert found == {
        ("crm.notes", "note", "phone"): (1, 1),          # +86 138-1234-5678 inside text; 138123456789 is not it
        ("crm.notes", "note", "email"): (1, 1),          # upper case; wei@qq.com is not zhang.wei@qq.com
        ("crm.notes", "tags", "phone"): (1, 1),          # inside a list
        ("crm.notes", "amount_cents", "phone"): (2, 2),  # a BIGINT, also behind 86
        ("crm.notes", "score", "phone"): (1, 1),         # an integral DOUBLE; 0.13812345678 is a probability
        ("current/touches.parquet", "target", "phone"): (1, 1),  # once, though it is also run-1/
    }
    assert result.found == 7
    assert result.tables_scanned == 3 and result.values_searched == len(PHONES) + len(EMAILS)
    assert all("****" in hit.example or "***@" in hit.example for hit in result.hits), "examples are masked"
    assert not result.errors


def test_the_cli_exits_1_with_a_json_report_when_it_finds_something(truth: Path, planted: tuple[Path, Path]) -> None:
    db, exports = planted
    result = portrait(["privacy", "scan", "--db", str(db), "--parquet", str(exports), "--json"],
                      {"PORTRAIT_TRUTH_DIR": str(truth)})
    assert result.returncode == 1, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert {"tables_scanned", "columns_scanned", "values_searched", "hits", "found"} <= set(report)
    assert report["found"] == 7 and report["tables_scanned"] == 3
    assert {(h["table"], h["column"]) for h in report["hits"]} >= {("crm.notes", "note"), ("crm.notes", "amount_cents")}
    assert PHONES[0] not in result.stdout and EMAILS[0] not in result.stdout.lower()
    # text mode names the column; nothing found gives exit status 0
    text = portrait(["privacy", "scan", "--db", str(db), "--truth", str(truth), "--quiet"], {})
    assert text.returncode == 1 and "crm.notes.amount_cents" in text.stdout
    clean = folder_with_clean_table(db.parent)
    assert portrait(["privacy", "scan", "--db", str(clean), "--truth", str(truth), "--quiet"], {}).returncode == 0


def folder_with_clean_table(folder: Path) -> Path:
    clean = folder / "clean.duckdb"
    if not clean.exists():
        with duckdb.connect(str(clean)) as con:
            con.execute("create table t as select '上海' as city, 13800138000 as n, 'wei@qq.com' as e")
    return clean


def test_the_published_file_and_its_exports_hold_no_generator_phone_or_email(tiny_nightly: Nightly) -> None:
    # defaults: --db is PORTRAIT_PUBLISH_DB, the truth PORTRAIT_TRUTH_DIR
    result = portrait(["privacy", "scan", "--json", "--parquet", str(tiny_nightly.exports)], tiny_nightly.env)
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(report["hits"], indent=1) + result.stderr[-3000:]
    assert report["found"] == 0 and report["hits"] == [] and report["errors"] == []
    with duckdb.connect(str(tiny_nightly.publish), read_only=True) as con:
        tables = con.execute("select count(*) from duckdb_tables()").fetchall()[0][0]
    exports = len(list((tiny_nightly.exports / "current").glob("*.parquet")))
    assert report["tables_scanned"] >= tables + exports and report["columns_scanned"] > 100
    assert report["values_searched"] > 1000


def test_the_private_warehouse_holds_them_only_in_columns_tagged_pii(tiny_nightly: Nightly) -> None:
    result = scan(tiny_nightly.private, Path(tiny_nightly.env["PORTRAIT_TRUTH_DIR"]), progress=False)
    assert not result.errors
    found = {(hit.table, hit.column, hit.kind) for hit in result.hits}
    assert {("staging.stg_crm__members", "phone", "phone"), ("staging.stg_crm__members", "email", "email"),
            ("intermediate.int_identity__person_map", "identifier_value", "phone")} <= found
    assert not any(table.startswith("marts.") for table, _, _ in found)
    manifest = json.loads((tiny_nightly.root / "target" / "manifest.json").read_text())
    columns = {(node["schema"], node["alias"] or node["name"]): node["columns"] for node in manifest["nodes"].values()
               if node["resource_type"] in ("model", "seed", "snapshot")}
    untagged = sorted({f"{table}.{column}" for table, column, _ in found
                       if not is_tagged_pii(columns.get(tuple(table.split(".", 1)), {}).get(column, {}))})
    assert untagged == [], "generator phones/e-mails in columns not tagged meta pii"
