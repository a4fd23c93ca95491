"""The bad-input and fault suite of `portrait run` on `tiny` (cases: bad_input_cases.py).

Every case starts from one shared baseline (a published tiny warehouse, copied per case
with a copy of its raw files, so each case also runs on a moved landing zone). Cases that
fail before dbt runs exit in the preflight and cost seconds; the bad values share one run.
Each asserts the exit code, the message or quarantine reason, and that nothing else
changed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bad_input_cases import CASES, DOC, OUTCOMES, render_into
from portrait import preflight
from portrait.run import FAULT_ENV
from warehouse_fixtures import Nightly, copy_project

HERE = Path(__file__).resolve().parent


# ----------------------------------------------------------------------------- the cases and their doc
def test_the_operations_table_is_generated_from_the_cases() -> None:
    text = DOC.read_text()
    assert render_into(text) == text, "run `python tests/python/bad_input_cases.py` to regenerate docs/operations.md"


def test_every_case_names_an_outcome_and_a_test_that_exists() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case.outcome in OUTCOMES, case
        file_name, _, test_name = case.test.partition("::")
        source = (HERE / file_name).read_text()
        if test_name:
            function = test_name.split("[")[0]
            assert re.search(rf"^def {function}\(", source, re.M), f"{case.id}: {case.test} does not exist"
            parameter = test_name.partition("[")[2].rstrip("]")
            if parameter:
                assert f'"{parameter}"' in source, case.test


# ----------------------------------------------------------------------------- a case's warehouse
@pytest.fixture(scope="module")
def baseline(tiny_nightly: Nightly, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the published tiny warehouse folder and its raw files, taken once."""
    root = tmp_path_factory.mktemp("bad_input_baseline")
    shutil.copytree(tiny_nightly.private.parent, root / "warehouse", symlinks=True,
                    ignore=shutil.ignore_patterns("*.lock", "portrait.failed.duckdb"))
    shutil.copytree(tiny_nightly.env["PORTRAIT_RAW_DIR"], root / "raw")
    shutil.copytree(tiny_nightly.env["PORTRAIT_TRUTH_DIR"], root / "truth")
    return root


def new_case(baseline: Path, tmp_path: Path) -> Nightly:
    """The baseline copied to `tmp_path`: its own warehouse and its own landing zone (a
    different path from the baseline's: a moved landing zone)."""
    shutil.copytree(baseline / "warehouse", tmp_path / "warehouse", symlinks=True)
    shutil.copytree(baseline / "raw", tmp_path / "landing")
    return Nightly(tmp_path, tmp_path / "landing", baseline / "truth")


def plant_earlier_export(night: Nightly, person_id: str, phone: str) -> Path:
    """An earlier channel export (`EXP-EARLIER`) that holds the person, in the case's export
    ledger; returns its file."""
    from portrait.activation.exports import open_ledger

    exports = Path(night.env["PORTRAIT_EXPORT_DIR"])
    ledger = open_ledger(exports)
    held = exports / "earlier.csv"
    held.write_text(f"phone_e164\n+86{phone}\n")
    ledger.execute("insert into exports values ('EXP-EARLIER', 'vip_care', 'sms', 'full', 1, 0, 0, ?, 'x', 'csv', "
                   "date '2026-06-29', null, timestamp '2026-06-29 12:00:00')", [str(held)])
    ledger.execute("insert into export_members values ('EXP-EARLIER', ?, 'h', false, true)", [person_id])
    ledger.close()
    return held


def raw_file(night: Nightly, table: str) -> Path:
    return sorted((Path(night.env["PORTRAIT_RAW_DIR"]) / table).glob("*.parquet"))[0]


# ----------------------------------------------------------------------------- preflight refusals
def _missing_table(night: Nightly) -> tuple[list[str], str]:
    shutil.rmtree(Path(night.env["PORTRAIT_RAW_DIR"]) / "service_tickets")
    return [], "raw table service_tickets is missing"


def _empty_table(night: Nightly) -> tuple[list[str], str]:
    for path in (Path(night.env["PORTRAIT_RAW_DIR"]) / "survey_responses").iterdir():
        path.unlink()
    return [], "raw table survey_responses holds no rows"


def _raw_rows_drop(night: Nightly) -> tuple[list[str], str]:
    path = raw_file(night, "app_events")
    table = pq.read_table(path)
    pq.write_table(table.slice(0, table.num_rows // 2), path)
    return [], "raw table app_events has"


def _corrupt_footer(night: Nightly) -> tuple[list[str], str]:
    (Path(night.env["PORTRAIT_RAW_DIR"]) / "pos_lines" / "random.parquet").write_bytes(bytes(range(256)) * 40)
    return [], "raw table pos_lines: file pos_lines/random.parquet is not a readable Parquet file"


def _corrupt_page(night: Nightly) -> tuple[list[str], str]:
    source = raw_file(night, "app_events")
    target = source.with_name("damaged.parquet")
    data = bytearray(source.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8  # footer length + its 4-byte length + magic
    for position in range(64, len(data) - footer - 64, 97):  # every 97th byte of the data pages
        data[position] ^= 0x5A
    target.write_bytes(bytes(data))
    return [], "raw table app_events: file app_events/damaged.parquet cannot be read"


def _empty_file(night: Nightly) -> tuple[list[str], str]:
    (Path(night.env["PORTRAIT_RAW_DIR"]) / "campaigns" / "empty.parquet").write_bytes(b"")
    return [], "raw table campaigns: file campaigns/empty.parquet is not a readable Parquet file"


def _renamed_column(night: Nightly) -> tuple[list[str], str]:
    source = raw_file(night, "shop_accounts")
    table = pq.read_table(source)
    pq.write_table(table.rename_columns(["mobile" if c == "phone" else c for c in table.column_names]),
                   source.with_name("renamed.parquet"))
    return [], "raw table shop_accounts: file shop_accounts/renamed.parquet lacks required column(s) 'phone'"


def _as_of_future(night: Nightly) -> tuple[list[str], str]:
    return ["--as-of", (preflight.local_today() + dt.timedelta(days=3)).isoformat()], "is in the future"


def _as_of_before_data(night: Nightly) -> tuple[list[str], str]:
    return ["--as-of", "2001-01-01"], "is before the data starts"


def _as_of_backfill(night: Nightly) -> tuple[list[str], str]:
    published = preflight.previous_as_of(night.publish)
    return ["--as-of", (published - dt.timedelta(days=30)).isoformat()], "use --backfill"


def _unknown_override(night: Nightly) -> tuple[list[str], str]:
    return ["--allow-missing", "service_ticket"], "--allow-missing names no raw table: service_ticket"


REFUSALS = {
    "missing_table": _missing_table, "empty_table": _empty_table, "raw_rows_drop": _raw_rows_drop,
    "renamed_column": _renamed_column, "corrupt_footer": _corrupt_footer, "corrupt_page": _corrupt_page, "empty_file": _empty_file,
    "as_of_future": _as_of_future, "as_of_before_data": _as_of_before_data, "as_of_backfill": _as_of_backfill,
    "unknown_override": _unknown_override,
}


@pytest.mark.parametrize("case_id", list(REFUSALS))
def test_preflight_refuses(case_id: str, baseline: Path, tmp_path: Path) -> None:
    night = new_case(baseline, tmp_path)
    args, message = REFUSALS[case_id](night)
    before = night.fingerprint()
    result, report = night.run(*args)
    assert result.returncode == 1, result.stderr[-3000:]
    assert report["failed_step"] == "preflight", report.get("message")
    assert message in report["message"], report["message"]
    assert message in result.stderr
    assert night.fingerprint() == before
    assert not (night.root / "target" / "run_results.json").exists(), "dbt ran"


def test_an_allowed_missing_table_is_recorded_in_the_report(baseline: Path, tmp_path: Path) -> None:
    """The preflight half of `--allow-missing` (the build after it is test_run.py's gate
    test): the table is let through, and the report says so."""
    night = new_case(baseline, tmp_path)
    shutil.rmtree(Path(night.env["PORTRAIT_RAW_DIR"]) / "service_tickets")
    result, report = night.run("--allow-missing", "service_tickets", "--as-of", "2001-01-01")
    assert result.returncode == 1 and report["failed_step"] == "preflight"
    assert "before the data starts" in report["message"]  # stopped by the next check, not by the table
    assert report["overrides"] == {"allow_missing": ["service_tickets"]}
    assert any("service_tickets is missing" in note and "allowed by --allow-missing" in note
               for note in report["preflight"]["allowed"])


def test_unwritable_folders_and_a_full_disk_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked on the functions (the suite runs as root in CI, for whom every folder is
    writable)."""
    private, publish = tmp_path / "w" / "portrait.duckdb", tmp_path / "p" / "portrait_marts.duckdb"
    preflight.check_writable(private, publish)  # fine: folders made
    monkeypatch.setattr(preflight.os, "access", lambda path, mode: Path(path) != publish.parent)
    with pytest.raises(preflight.PreflightFailed, match=f"the folder {publish.parent} is not writable"):
        preflight.check_writable(private, publish)
    monkeypatch.undo()
    private.write_bytes(b"x" * 1_000_000)
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 1000))
    with pytest.raises(preflight.PreflightFailed, match="not enough free disk"):
        preflight.check_writable(private, publish)


def test_a_truncated_private_warehouse_is_named_as_such(baseline: Path, tmp_path: Path) -> None:
    night = new_case(baseline, tmp_path)
    size = night.private.stat().st_size
    with open(night.private, "r+b") as handle:
        handle.truncate(size // 3)
    before = night.fingerprint()
    result, report = night.run()
    assert result.returncode == 1
    assert report["failed_step"] == "copy"
    assert "is not a readable DuckDB file: it is truncated or corrupt" in report["message"]
    assert "another process" not in report["message"]
    assert night.fingerprint() == before


# ----------------------------------------------------------------------------- bad values, one run
@dataclass
class Planted:
    account_id: str
    phone: str
    redelivered_rows: int = 0


ERASURE_REQUESTS = {
    "PRX-INVALID": ("phone", "not-a-phone!!", "invalid_identifier"),
    "PRX-PLACEHOLDER": ("phone", "13800138000", "placeholder_identifier"),
    "PRX-UNKNOWN-TYPE": ("passport", "E12345678", "quarantined_unmapped_enum"),
}
VALID_ERASURE = "PRX-VALID"
NOBODY_ERASURE = "PRX-NOBODY"  # a valid phone no one has: applied, nothing to remove


def _text_table(rows: list[dict], columns: list[str]) -> pa.Table:
    return pa.table({c: pa.array([None if r.get(c) is None else str(r[c]) for r in rows], pa.string())
                     for c in columns})


def plant_bad_values(night: Nightly, baseline_db: Path) -> Planted:
    from portrait.generate.contract import RAW_CONTRACT

    raw = Path(night.env["PORTRAIT_RAW_DIR"])
    with duckdb.connect(str(baseline_db), read_only=True) as con:
        account_id = con.execute("select account_id from staging.stg_shop__accounts order by account_id limit 1"
                                 ).fetchall()[0][0]
        phone = con.execute("select phone from staging.stg_crm__members where phone is not null "
                            "order by member_id limit 1").fetchall()[0][0]
    order = {"account_id": account_id, "order_ts": "2026-06-20 10:00:00", "status": "paid", "platform": "app",
             "discount_amount": "0", "ship_city": "上海", "updated_at": "2026-06-20 10:00:00"}
    pq.write_table(_text_table([
        {**order, "order_id": "BAD-COMMA-1", "total_amount": "12,50"},
        {**order, "order_id": "BAD-COMMA-2", "total_amount": "1.299,00"},
        {**order, "order_id": "OK-GROUPED", "total_amount": "¥1,299.00"},
        {**order, "order_id": "OK-CONTROL", "total_amount": "10", "ship_city": "上\x00海\x07"},
    ], RAW_CONTRACT["shop_orders"]), raw / "shop_orders" / "planted.parquet")
    # A till export written by pandas: typed columns, the phone a float (a column with gaps).
    pq.write_table(pa.table({
        "txn_id": pa.array(["TZ-1", "TZ-2"]),
        "store_id": pa.array(["S001", "S001"]), "store_city": pa.array(["上海", "上海"]),
        "member_card_no": pa.array([None, None], pa.string()),
        "phone": pa.array([13912341111.0, None], pa.float64()),
        "txn_ts": pa.array([dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.timezone.utc)] * 2,
                           pa.timestamp("us", tz="UTC")),
        "total_amount": pa.array([__import__("decimal").Decimal("88.50")] * 2, pa.decimal128(18, 2)),
        "payment_method": pa.array(["cash", "cash"]),
    }), raw / "pos_transactions" / "typed.parquet")
    requests = [{"request_id": rid, "identifier_type": kind, "identifier": value, "request_type": "erasure",
                 "requested_at": "2026-06-29 10:00:00"} for rid, (kind, value, _) in ERASURE_REQUESTS.items()]
    requests.append({"request_id": VALID_ERASURE, "identifier_type": "phone", "identifier": f"+86 {phone}",
                     "request_type": "erasure", "requested_at": "2026-06-29 10:00:00"})
    requests.append({"request_id": NOBODY_ERASURE, "identifier_type": "phone", "identifier": "13698765432",
                     "request_type": "erasure", "requested_at": "2026-06-29 10:00:00"})
    pq.write_table(_text_table(requests, RAW_CONTRACT["privacy_requests"]), raw / "privacy_requests" / "planted.parquet")
    (raw / "shop_orders" / "orders_2026-06.csv").write_text("order_id,total_amount\nX1,12.50\n")
    # An export delivered twice under another name: every row is a duplicate of one staged already.
    source = sorted((raw / "survey_responses").glob("*.parquet"))[0]
    shutil.copyfile(source, raw / "survey_responses" / "survey_responses__redelivered.parquet")
    return Planted(account_id=account_id, phone=phone, redelivered_rows=pq.ParquetFile(source).metadata.num_rows)


@pytest.fixture(scope="module")
def bad_values(baseline: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bad_values")
    night = new_case(baseline, root)
    planted = plant_bad_values(night, night.private)
    with duckdb.connect(str(night.private), read_only=True) as con:
        reconciliation_before = {r[0]: r[1:] for r in con.execute(
            "select source_table, raw_rows, staged_rows + duplicate_rows + erased_rows, quarantined_rows "
            "from marts.audit_row_reconciliation").fetchall()}
        night.staged_before = {r[0]: r[1:] for r in con.execute(
            "select source_table, staged_rows, duplicate_rows from marts.audit_row_reconciliation").fetchall()}
    # An earlier channel export that holds the person the valid erasure names.
    with duckdb.connect(str(night.private), read_only=True) as con:
        person_id = con.execute("select person_id from intermediate.int_identity__person_map "
                                "where identifier_type = 'phone' and identifier_value = ?",
                                [planted.phone]).fetchall()[0][0]
    plant_earlier_export(night, person_id, planted.phone)
    result, report = night.run()
    night.erased_person_id = person_id
    return night, planted, result, report, reconciliation_before


def test_bad_values_are_quarantined_or_parsed_by_rule(bad_values) -> None:
    night, planted, result, report, before = bad_values
    assert result.returncode == 0, result.stderr[-5000:]
    assert report["status"] == "published"
    with duckdb.connect(str(night.private), read_only=True) as con:
        quarantined = dict(con.execute(
            "select raw_key, quarantine_reason from staging.stg_quarantine__rows "
            "where source_table in ('shop_orders', 'pos_transactions', 'privacy_requests')").fetchall())
        orders = dict(con.execute("select order_id, total_amount from staging.stg_shop__orders "
                                  "where order_id in ('OK-GROUPED', 'OK-CONTROL', 'BAD-COMMA-1')").fetchall())
        city = con.execute("select ship_city from staging.stg_shop__orders where order_id = 'OK-CONTROL'"
                           ).fetchall()[0][0]
        till = {r[0]: r[1:] for r in con.execute(
            "select txn_id, cast(transacted_at as varchar), total_amount, phone from staging.stg_pos__transactions "
            "where txn_id like 'TZ-%'").fetchall()}
        reconciliation = {r[0]: r[1:] for r in con.execute(
            "select source_table, raw_rows, staged_rows + duplicate_rows + erased_rows, quarantined_rows, "
            "ignored_files, is_balanced from marts.audit_row_reconciliation").fetchall()}
        survey_staged, survey_duplicates = con.execute(
            "select staged_rows, duplicate_rows from marts.audit_row_reconciliation "
            "where source_table = 'survey_responses'").fetchall()[0]
    # a decimal comma is never reinterpreted: quarantined with its reason
    assert quarantined.get("BAD-COMMA-1") == quarantined.get("BAD-COMMA-2") == "unparseable_amount"
    assert "BAD-COMMA-1" not in orders
    # grouped thousands with a currency mark parse; control characters are removed
    assert float(orders["OK-GROUPED"]) == 1299.00 and float(orders["OK-CONTROL"]) == 10.00
    assert city == "上海"
    # a typed timestamp with time zone is the instant it says; a DECIMAL its value; a float phone its digits
    assert till["TZ-1"] == ("2026-06-20 04:00:00", pytest.approx(88.5), "13912341111"), till
    assert till["TZ-2"][0] == "2026-06-20 04:00:00" and till["TZ-2"][2] is None
    # the CSV is named in the report and counted; nothing else changed: every raw table but
    # the planted ones reconciles exactly as before, on a moved landing zone
    assert any("orders_2026-06.csv" in w for w in report["warnings"])
    assert reconciliation["shop_orders"][3] == 1 and sum(r[3] for r in reconciliation.values()) == 1
    planted_rows = {"shop_orders": (4, 2), "pos_transactions": (2, 0), "privacy_requests": (5, 1),
                    "survey_responses": (planted.redelivered_rows, 0)}
    # the re-delivered export: every row a duplicate, nothing staged twice
    staged_before, duplicates_before = night.staged_before["survey_responses"]
    assert planted.redelivered_rows > 0
    assert (survey_staged, survey_duplicates) == (staged_before, duplicates_before + planted.redelivered_rows)
    for table, (raw_rows, kept, quarantined_rows, _, balanced) in reconciliation.items():
        assert balanced, table
        added, added_quarantined = planted_rows.get(table, (0, 0))
        assert raw_rows == before[table][0] + added, table
        assert quarantined_rows == before[table][2] + added_quarantined, table
        assert kept == before[table][1] + added - added_quarantined, table


def test_erasures_that_cannot_be_applied_are_answered_and_hold_back_nothing(bad_values) -> None:
    night, planted, result, report, _ = bad_values
    assert result.returncode == 0, result.stderr[-5000:]
    with duckdb.connect(str(night.publish), read_only=True) as con:
        ledger = {r[0]: r[1:] for r in con.execute(
            "select erasure_request_id, status, reason from marts.audit_erasures").fetchall()}
        person_gone = con.execute(
            "select count(*) from marts.bdg_person_identifier where identifier_type = 'phone' "
            "and identifier_hash = sha256(? || ':phone:' || ?)", [night.env["PORTRAIT_HASH_KEY"], planted.phone]
        ).fetchall()[0][0]
    for request, (_, _, reason) in ERASURE_REQUESTS.items():
        assert ledger[request] == ("not_applicable", reason), (request, ledger.get(request))
    assert ledger[VALID_ERASURE] == ("applied", None)
    assert ledger[NOBODY_ERASURE] == ("applied", None)
    with duckdb.connect(str(night.publish), read_only=True) as con:
        removed = dict(con.execute("select source_table, rows_removed from marts.audit_erasures "
                                   "where erasure_request_id = ?", [NOBODY_ERASURE]).fetchall())
    # nothing of anyone's, only the request's own raw row (it names the identifier)
    assert removed.pop("privacy_requests") == 1 and set(removed.values()) == {0}
    assert person_gone == 0  # the valid erasure was published beside the ones that were not applicable
    assert report["erasure"]["not_applicable_requests"] == 3
    assert report["erasure"]["not_applicable_reasons"] == {
        "invalid_identifier": 1, "placeholder_identifier": 1, "quarantined_unmapped_enum": 1}
    assert report["validation"]["success"]
    # the earlier export that held the erased person is deleted and the publication says so
    exports = Path(night.env["PORTRAIT_EXPORT_DIR"])
    assert not (exports / "earlier.csv").exists()
    assert report["erasure"]["export_files_deleted"] == ["EXP-EARLIER"]
    with duckdb.connect(str(night.publish), read_only=True) as con:
        assert con.execute("select export_id, erasure_request_id, persons, file_deleted "
                           "from marts.audit_export_erasures").fetchall() == [("EXP-EARLIER", VALID_ERASURE, 1, True)]
        # the night's own configured exports are published beside the earlier one
        assert "EXP-EARLIER" in {r[0] for r in con.execute("select export_id from marts.audit_exports").fetchall()}
    with duckdb.connect(str(exports / "ledger.duckdb"), read_only=True) as con:
        # the ledger forgets the erased person, in the earlier export and in every export of this night
        assert con.execute("select count(*) from export_members where export_id = 'EXP-EARLIER' or person_id = ?",
                           [night.erased_person_id]).fetchall()[0][0] == 0


# ----------------------------------------------------------------------------- a failed run and an erasure
def _gate_fails(night: Nightly, project: Path) -> None:
    """A mart bug the quality gate catches (a column nulled out)."""
    model = project / "models" / "marts" / "core" / "dim_person.sql"
    text = model.read_text()
    model.write_text(text.rstrip()[: -len("select * from final")]
                     + "select * replace (cast(null as varchar) as top_category_affinity) from final\n")


def _dbt_test_fails(night: Nightly, project: Path) -> None:
    """A dbt test that fails (it skips what lies downstream of dim_person, not the erasure)."""
    (project / "tests" / "planted_failure.sql").write_text("select person_id from {{ ref('dim_person') }} limit 1\n")


def _table_refused(night: Nightly, project: Path) -> None:
    """A raw table gone (the preflight refuses it; with an erasure pending it builds first)."""
    shutil.rmtree(Path(night.env["PORTRAIT_RAW_DIR"]) / "service_tickets")


FAILED_RUNS = {"gate": (_gate_fails, "validate", "expectations failed"),
               "dbt_test": (_dbt_test_fails, "build", "dbt build failed"),
               "refused_table": (_table_refused, "preflight", "raw table service_tickets is missing")}


@pytest.mark.parametrize("failure", list(FAILED_RUNS))
def test_a_failed_run_still_publishes_the_erasure(failure: str, baseline: Path, tmp_path: Path) -> None:
    """On the night an erasure arrives, the run fails — at the quality gate, on a dbt test,
    or on a raw table the preflight refuses — and exits 1 naming why, but the last
    publication goes out again without the erased person: no check holds back an erasure."""
    night = new_case(baseline, tmp_path)
    project = copy_project(tmp_path / "project")
    break_it, failed_step, message = FAILED_RUNS[failure]
    break_it(night, project)
    from portrait.generate.contract import RAW_CONTRACT

    with duckdb.connect(str(night.publish), read_only=True) as con:
        person_id, phone_hash = con.execute(
            "select person_id, identifier_hash from marts.bdg_person_identifier where identifier_type = 'phone' "
            "order by person_id limit 1").fetchall()[0]
        rows_before = {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0]
                       for t in ("dim_person", "fct_person_tags", "bdg_person_identifier", "fct_orders")}
    with duckdb.connect(str(night.private), read_only=True) as con:
        phone = con.execute("select identifier_value from intermediate.int_identity__person_map "
                            "where person_id = ? and identifier_type = 'phone'", [person_id]).fetchall()[0][0]
    pq.write_table(_text_table([{"request_id": "PRX-GATE", "identifier_type": "phone", "identifier": phone,
                                 "request_type": "erasure", "requested_at": "2026-06-29 10:00:00"}],
                               RAW_CONTRACT["privacy_requests"]),
                   Path(night.env["PORTRAIT_RAW_DIR"]) / "privacy_requests" / "planted.parquet")
    held = plant_earlier_export(night, person_id, phone)  # deleted on every failure path too
    private_before = night.fingerprint()["private"]
    result, report = night.run(project=project)
    assert result.returncode == 1, result.stderr[-3000:]
    assert report["failed_step"] == failed_step and message in report["message"], report.get("message")
    assert not held.exists() and report["erasure"]["export_files_deleted"] == ["EXP-EARLIER"]
    assert report["erasure_publication"] is True, result.stderr[-3000:]
    assert "without the erased persons" in result.stderr
    assert night.fingerprint()["private"] == private_before
    with duckdb.connect(str(night.publish), read_only=True) as con:
        holding = [t for (t,) in con.execute(
            "select table_name from duckdb_columns() where schema_name = 'marts' "
            "and column_name = 'person_id' group by 1").fetchall()
            if con.execute(f"select count(*) from marts.{t} where person_id = ?", [person_id]).fetchall()[0][0]]
        hashes = con.execute("select count(*) from marts.bdg_person_identifier where identifier_hash = ?",
                             [phone_hash]).fetchall()[0][0]
        ledger = con.execute("select distinct status from marts.audit_erasures where erasure_request_id = 'PRX-GATE'"
                             ).fetchall()
        run_ids = con.execute("select distinct run_id from marts.portrait_publication").fetchall()
        rows_after = {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0] for t in rows_before}
        top = con.execute("select count(top_category_affinity) from marts.dim_person").fetchall()[0][0]
    assert holding == [] and hashes == 0 and ledger == [("applied",)]
    assert run_ids == [(report["run_id"],)]
    assert rows_after["dim_person"] == rows_before["dim_person"] - 1
    assert top > 0  # the last good publication's data, not the new build's
    # no export version on disk holds the person (the previous one is not kept for readers)
    versions = [p for p in night.exports.iterdir() if p.is_dir() and not p.is_symlink()]
    assert [p.name for p in versions] == [os.readlink(night.exports / "current")]
    exported = duckdb.connect().execute(
        f"select count(*) from '{night.exports / 'current' / 'dim_person.parquet'}' where person_id = ?",
        [person_id]).fetchall()[0][0]
    assert exported == 0


# ----------------------------------------------------------------------------- an unreadable publication
def test_an_unreadable_publication_is_rebuilt(baseline: Path, tmp_path: Path) -> None:
    night = new_case(baseline, tmp_path)
    night.publish.write_bytes(b"")  # e.g. a copy job that failed half-way
    result, report = night.run()
    assert result.returncode == 0, result.stderr[-3000:]
    assert any("is not a readable DuckDB file" in w for w in report["warnings"])
    assert list(night.publish.parent.glob("portrait_marts.duckdb.unreadable-*"))
    with duckdb.connect(str(night.publish), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_person").fetchall()[0][0] > 0


# ----------------------------------------------------------------------------- the gate's comparisons
def _mart_file(path: Path, tables: dict[str, int], schema: str = "marts") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(f"create schema if not exists {schema}")
        for table, rows in tables.items():
            con.execute(f"create table {schema}.{table} as select 'p' || range as person_id, "
                        f"'x' as source_table, 'k' || range as persona_code from range({rows})")
    return path


def test_the_gate_checks_drops_at_every_size_less_erasures_and_overrides(tmp_path: Path) -> None:
    from portrait.quality import Tolerances, validate_warehouse

    previous = _mart_file(tmp_path / "previous.duckdb",
                          {"fct_small": 20, "agg_persona_summary": 8, "audit_erasures": 5})
    # now: a small mart at half its rows, fewer personas, and a ledger that shrank (a
    # history table: its check fails, but it may never block)
    current = _mart_file(tmp_path / "current.duckdb", {"fct_small": 10, "agg_persona_summary": 3,
                                                       "audit_erasures": 1})

    def gate(**tolerances) -> tuple[bool, set[tuple[str, bool]]]:
        result = validate_warehouse(current, previous, Tolerances(**tolerances))
        return result["success"], {(e["table"], e["blocking"]) for e in result["expectations"] if not e["success"]}

    assert gate() == (False, {("fct_small", True), ("audit_erasures", False)})
    assert gate(explained_drops={"fct_small": 6}) == (True, {("audit_erasures", False)})  # 15 - 6 <= 10
    assert gate(explained_drops={"fct_small": 4}) == (False, {("fct_small", True), ("audit_erasures", False)})
    assert gate(allow_drop=frozenset({"fct_small"})) == (True, {("audit_erasures", False)})
    assert gate(max_row_change=0.6) == (True, {("audit_erasures", False)})
    # a mart published last time and gone now fails
    _mart_file(tmp_path / "previous.duckdb", {"fct_gone": 5})
    assert gate(allow_drop=frozenset({"fct_small"})) == (False, {("fct_gone", True), ("audit_erasures", False)})


def test_a_second_run_on_the_same_warehouse_is_locked_out(baseline: Path, tmp_path: Path) -> None:
    import fcntl

    night = new_case(baseline, tmp_path)
    lock = night.private.parent / f".{night.private.name}.lock"
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write("4242")
        handle.flush()
        before = night.fingerprint()
        result, report = night.run()
    assert result.returncode == 1 and report["failed_step"] == "lock"
    assert "another portrait run holds" in report["message"] and "pid 4242" in report["message"]
    assert night.fingerprint() == before


# ----------------------------------------------------------------------------- the overrides, decided
def test_the_overrides_let_through_exactly_what_they_name(tmp_path: Path) -> None:
    """The decisions behind --allow-missing, --allow-drop, --max-row-drop, --force-as-of and
    --backfill (the refusals themselves run end to end in test_preflight_refuses)."""
    import datetime as dt

    from portrait.preflight import RawTable, check_as_of, check_raw_tables, local_today

    tables = {"service_tickets": RawTable("service_tickets", tmp_path / "service_tickets", present=False),
              "shop_orders": RawTable("shop_orders", tmp_path / "shop_orders", present=True, rows=600),
              "app_events": RawTable("app_events", tmp_path / "app_events", present=True, rows=950)}
    before = {"service_tickets": 40, "shop_orders": 1000, "app_events": 1000}
    strict = check_raw_tables(tables, before, 0.25, set(), set())
    assert len(strict.problems) == 2 and not strict.allowed  # missing tickets, orders down 40 %
    named = check_raw_tables(tables, before, 0.25, {"service_tickets"}, {"shop_orders"})
    assert not named.problems and len(named.allowed) == 2
    assert any("--allow-drop" in line for line in named.allowed)
    other = check_raw_tables(tables, before, 0.25, set(), {"app_events"})  # names another table
    assert len(other.problems) == 2
    loose = check_raw_tables(tables, before, 0.5, {"service_tickets"}, set())  # a 40 % drop is within 50 %
    assert not loose.problems
    assert "names no raw table" in check_raw_tables(tables, before, 0.25, {"tickets"}, set()).problems[0]

    future = local_today() + dt.timedelta(days=3)
    assert check_as_of(future, dt.date(2024, 1, 1), None, force=False, backfill=False)
    assert check_as_of(future, dt.date(2024, 1, 1), None, force=True, backfill=False) == []
    assert check_as_of(dt.date(2023, 1, 1), dt.date(2024, 1, 1), None, force=False, backfill=False)
    assert check_as_of(dt.date(2023, 1, 1), dt.date(2024, 1, 1), None, force=True, backfill=False) == []
    older = check_as_of(dt.date(2026, 6, 1), dt.date(2024, 1, 1), dt.date(2026, 6, 30), force=True, backfill=False)
    assert len(older) == 1 and "--backfill" in older[0]  # forcing a date is not publishing an older view
    assert check_as_of(dt.date(2026, 6, 1), dt.date(2024, 1, 1), dt.date(2026, 6, 30), force=False,
                       backfill=True) == []


def test_a_folder_inside_a_raw_table_folder_is_named_not_skipped_silently(tmp_path: Path) -> None:
    """A partitioned export (`shop_orders/dt=2026-06-01/part.parquet`) is not read: the run
    report says so by table and folder."""
    from portrait.preflight import check_raw_tables, inventory

    (tmp_path / "shop_orders" / "dt=2026-06-01").mkdir(parents=True)
    (tmp_path / "shop_orders" / ".sync").mkdir()  # hidden: a tool's own folder, not an export
    tables = inventory(tmp_path)
    assert tables["shop_orders"].ignored_folders == ["dt=2026-06-01"]
    warnings = check_raw_tables(tables, None, 0.25, set(), set()).warnings
    assert len(warnings) == 1 and "shop_orders" in warnings[0] and "dt=2026-06-01" in warnings[0]
