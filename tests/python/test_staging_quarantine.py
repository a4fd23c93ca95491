"""Staging puts every raw row in exactly one bucket, with the right quarantine reason.

One build (module fixture) on a raw folder seeded by hand with broken rows of every
kind (docs/raw_formats.md, "Junk") and the bucket edge cases: versions, exact
re-deliveries, ties broken by file name then row position, a newest version that is
unusable, valid negative store returns, orphan lines, and an empty table folder. Every
row states the bucket (and reason) it must land in. A third file per table of `TYPED`
carries typed Parquet columns (TIMESTAMP WITH TIME ZONE, TIMESTAMP_NS, DATE, DECIMAL,
DOUBLE, BIGINT), as a real retailer's export may: they must mean what their type says
(docs/raw_formats.md, "Typed Parquet columns").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rawkit import write_raw
from warehouse_fixtures import TEST_HASH_KEY

from portrait.dbt import run_dbt
from portrait.generate.contract import RAW_CONTRACT

FIRST, SECOND = "part-0001.parquet", "part-0002.parquet"
TYPED_TZ, TYPED_NS, TYPED_DATE = "part-0003-tz.parquet", "part-0004-ns.parquet", "part-0005-date.parquet"
# unit tests do not read the raw folder: the full build on tiny data runs them
# `cautious`: only tests whose parents are all selected (some tests also read later layers).
SELECT = ["--select", "placeholder_identifiers", "staging", "audit_row_reconciliation", "--exclude-resource-type", "unit_test",
          "--indirect-selection", "cautious"]

# Local (Asia/Shanghai) times around a load whose latest event arrived 2025-06-18 20:00.
T0 = "2025-06-10 09:00:00"
T1 = "2025-06-11 09:00:00"
T2 = "2025-06-12 09:00:00"
ARRIVED = "2025-06-18 20:00:00"  # the load watermark (latest app_events.received_at)
FUTURE = "2025-06-25 09:00:00"  # more than a day after the watermark

STAGED, DUPLICATE, QUARANTINED = ("staged", None), ("duplicate", None), ("quarantined",)


def junk(reason: str) -> tuple[str, str]:
    return ("quarantined", reason)


def member(member_id: str | None, **overrides: str | None) -> dict:
    return {"member_id": member_id, "card_no": "C1", "full_name": "张伟", "phone": "13812345678",
            "email": "zhang.wei@qq.com", "gender": "1", "birth_date": "1990-05-01", "city": "上海",
            "register_channel": "store", "registered_at": T0, "updated_at": T1, "unionid": None} | overrides


def account(account_id: str | None, **overrides: str | None) -> dict:
    return {"account_id": account_id, "phone": "+86 139-1234-5678", "email": "a.b@163.com",
            "nickname": "ab", "created_at": T0, "updated_at": T1} | overrides


def order(order_id: str | None, **overrides: str | None) -> dict:
    return {"order_id": order_id, "account_id": "U1", "order_ts": T0, "status": "paid", "platform": "app",
            "total_amount": "199.00", "discount_amount": "0", "coupon_code": None, "ship_city": "北京",
            "ship_phone": "13712345678", "updated_at": T0} | overrides


def line(parent_key: str, parent: str | None, line_no: str | None, **overrides: str | None) -> dict:
    return {parent_key: parent, "line_no": line_no, "sku": "SKU1", "category_l1": "beauty",
            "category_l2": "skincare", "unit_price": "99.50", "quantity": "2"} | overrides


def event(event_id: str | None, **overrides: str | None) -> dict:
    return {"event_id": event_id, "event_ts": "2025-06-18 19:00:00", "received_at": "2025-06-18 19:00:05",
            "event_name": "page_view", "platform": "ios", "device_id": "3F2A0000-AAAA-BBBB-CCCC-000000000001",
            "anonymous_id": "anon-ab12", "account_id": "U1", "openid": None, "sku": None, "category_l1": None,
            "content_type": None, "search_term": None, "utm_source": None, "utm_medium": None,
            "page_url": "/home", "properties": "{}"} | overrides


def wechat_user(openid: str | None, **overrides: str | None) -> dict:
    return {"openid": openid, "unionid": "oU" + "b" * 26, "app_id": "wx1", "phone": None, "subscribed": "1",
            "first_seen_at": T0, "updated_at": T1} | overrides


def transaction(txn_id: str | None, **overrides: str | None) -> dict:
    return {"txn_id": txn_id, "store_id": "S1", "store_city": "上海", "member_card_no": "C1",
            "phone": "13800138000", "txn_ts": T1, "total_amount": "299.00", "payment_method": "alipay"} | overrides


def ticket(ticket_id: str | None, **overrides: str | None) -> dict:
    return {"ticket_id": ticket_id, "created_at": T0, "resolved_at": None, "channel": "phone",
            "contact_phone": "13812345678", "contact_email": None, "account_id": "U1", "category": "inquiry",
            "satisfaction": None, "comment": "where is my parcel", "updated_at": T1} | overrides


def campaign(campaign_id: str | None, **overrides: str | None) -> dict:
    return {"campaign_id": campaign_id, "name": "618", "objective": "retention", "channel": "sms",
            "start_at": T0, "end_at": FUTURE} | overrides


def touch(touch_id: str | None, **overrides: str | None) -> dict:
    return {"touch_id": touch_id, "campaign_id": "K1", "channel": "sms", "recipient_type": "phone",
            "recipient": "+86 138 1234 5678", "assigned_group": "treatment", "sent_at": T1, "opened_at": None,
            "clicked_at": None} | overrides


def response(response_id: str | None, **overrides: str | None) -> dict:
    return {"response_id": response_id, "submitted_at": T1, "phone": "13812345678", "email": None, "nps": "9",
            "interests": "beauty;sports", "age_band": "25-34", "income_band": "mid"} | overrides


# raw table -> file -> [(row, expected (bucket, reason))]; every row of the load is listed.
CASES: dict[str, dict[str, list[tuple[dict, tuple]]]] = {
    "crm_members": {
        FIRST: [
            (member("M001", updated_at=T0), DUPLICATE),  # older version
            (member("M001", updated_at=T1, city="北京"), STAGED),  # latest version
            (member("M002", updated_at=T1), DUPLICATE),  # tie on updated_at: the later file wins
            (member("M003", updated_at=T1, city="a"), DUPLICATE),  # tie in one file: the later row wins
            (member("M003", updated_at=T1, city="b"), STAGED),
            (member("M004", updated_at=T1), STAGED),  # previous valid version stands ...
            (member("M004", updated_at=T2, gender="xx"), junk("unmapped_enum")),  # ... newest is unusable
            (member(None), junk("missing_key")),
            (member("  "), junk("missing_key")),
            (member("M005", updated_at=None), junk("missing_key")),
            (member("M006", registered_at="not a date"), junk("unparseable_timestamp")),
            (member("M007", updated_at="2025-13-45 99:99:99"), junk("unparseable_timestamp")),
            (member("M008", registered_at="2025-06-15 09:00:00"), junk("future_timestamp")),  # after updated_at
            (member("M009", updated_at=FUTURE), junk("future_timestamp")),  # after the watermark
            (member("M010", register_channel="kiosk??"), junk("unmapped_enum")),
            (member("M011", gender="", phone="00000000000", birth_date="not-a-date"), STAGED),
            (member("M012", email="test@test.com"), DUPLICATE),  # re-delivered identically in SECOND
            (member("M1'; drop table x;--"), junk("invalid_identifier")),  # the key breaks the member_id pattern
            (member("M013", card_no="C1; --", city="杭\x00州\r\n", phone="13912348888.0"), STAGED),  # card flagged
        ],
        SECOND: [
            (member("M002", updated_at=T1), STAGED),
            (member("M012", email="test@test.com"), STAGED),
        ],
    },
    "shop_accounts": {
        FIRST: [
            (account("U1"), STAGED),
            (account(""), junk("missing_key")),
            (account("U2", created_at="N/A"), junk("unparseable_timestamp")),
            (account("U3", created_at=FUTURE, updated_at=T1), junk("future_timestamp")),
        ],
    },
    "shop_orders": {
        FIRST: [
            (order("O1", status="paid", updated_at=T0), DUPLICATE),
            (order("O1", status=" Shipped ", updated_at=T1), STAGED),
            (order("O2", total_amount="¥1,299.00", platform="MiniProgram"), DUPLICATE),  # re-delivered ...
            (order("O2", total_amount="¥1,299.00", platform="MiniProgram"), STAGED),  # ... identically
            (order("O3", total_amount="99999999.00"), junk("absurd_amount")),
            (order("O4", total_amount="abc"), junk("unparseable_amount")),
            (order("O5", status="unknown_status"), junk("unmapped_enum")),
            (order("O6", platform="desktop_v2"), junk("unmapped_enum")),
            (order("O7", order_ts="0000-00-00 00:00:00"), junk("unparseable_timestamp")),
            (order("O8", order_ts="2025-06-12 09:00:00", updated_at=T0), junk("future_timestamp")),
            (order(None), junk("missing_key")),
            (order("O9", status="canceled", total_amount="-0.00"), STAGED),
            (order("O10", total_amount="12,50"), junk("unparseable_amount")),  # a decimal comma, not 1250
            (order("O11", total_amount="1.299,00"), junk("unparseable_amount")),  # not 1.30
            (order("O12", discount_amount="1,29"), junk("unparseable_amount")),  # given but unparseable
            (order("O13", total_amount="12,345.60", discount_amount="", account_id="U1'--"), STAGED),
        ],
    },
    "shop_order_items": {
        FIRST: [
            (line("order_id", "O1", "1"), DUPLICATE),  # the order's lines, re-delivered in SECOND
            (line("order_id", "O1", "2"), STAGED),
            (line("order_id", "O3", "1"), junk("orphan_line")),  # its order is quarantined
            (line("order_id", "O404", "1"), junk("orphan_line")),  # its order is absent
            (line("order_id", "O2", "1", unit_price="abc"), junk("unparseable_amount")),
            (line("order_id", "O2", "2", unit_price="2000000"), junk("absurd_amount")),
            (line("order_id", "O2", None), junk("missing_key")),
            (line("order_id", "O2", "3", unit_price="¥1,299.00"), STAGED),
        ],
        SECOND: [
            (line("order_id", "O1", "1"), STAGED),
        ],
    },
    "app_events": {
        FIRST: [
            (event("E1"), DUPLICATE),  # at-least-once delivery: the same event twice
            (event("E1"), STAGED),
            (event("E2", event_ts="1750248907000", received_at="1750248910"), STAGED),  # epoch millis / seconds
            (event("E3", event_ts="2025-06-18T12:15:07Z", platform="iOS", event_name="favourite"), STAGED),
            (event("E4", event_ts="2025-06-18T20:15:07+08:00", received_at=ARRIVED, platform="mini_program"), STAGED),
            (event("E5", event_ts="2025/06/18 10:00:00.123", device_id="00000000-0000-0000-0000-000000000000"), STAGED),
            (event("E6", event_ts="2025-06-21 19:00:00"), junk("future_timestamp")),  # 2 days after arrival
            (event("E7", event_ts="not a date"), junk("unparseable_timestamp")),
            (event("E8", received_at=None), junk("missing_key")),
            (event(""), junk("missing_key")),
            (event("E9", event_name="unknown_event"), junk("unmapped_enum")),
            (event("E10", platform="harmony_beta"), junk("unmapped_enum")),
            (event("E11", event_ts="2025-06-19 03:00:00+08", device_id="dev 1"), STAGED),  # short offset; bad device
        ],
    },
    "wechat_users": {
        FIRST: [
            (wechat_user("o" + "A" * 27, subscribed="是"), STAGED),
            (wechat_user("o" + "a" * 27, subscribed="False"), STAGED),  # openids are case-sensitive
            (wechat_user("undefined"), STAGED),  # a placeholder is kept and flagged
            (wechat_user(None), junk("missing_key")),
            (wechat_user("o" + "c" * 27, first_seen_at="N/A"), junk("unparseable_timestamp")),
        ],
    },
    "pos_transactions": {
        FIRST: [
            (transaction("T1"), STAGED),
            (transaction("T2", total_amount="-299.00"), STAGED),  # a store return is valid
            (transaction("T3", total_amount="-99999999.00"), junk("absurd_amount")),
            (transaction("T4", total_amount="--"), junk("unparseable_amount")),
            (transaction("T5", payment_method="bitcoin"), junk("unmapped_enum")),
            (transaction("T6", txn_ts=FUTURE), junk("future_timestamp")),
            (transaction(None), junk("missing_key")),
            (transaction("T7", store_city="上海\x00\t", txn_ts="2025-06-11 01:00:00+00"), STAGED),
        ],
        # typed files (written by `write_typed`): the rows' dicts hold Python values
        TYPED_TZ: [
            ({"txn_id": "TZ1", "txn_ts": dt.datetime(2025, 6, 11, 1, 0, tzinfo=dt.timezone.utc),
              "total_amount": Decimal("1299.50"), "phone": 13912341111.0}, STAGED),
            ({"txn_id": "TZ2", "txn_ts": dt.datetime(2025, 6, 11, 1, 0, 0, 500000, tzinfo=dt.timezone.utc),
              "total_amount": Decimal("-12.00"), "phone": None}, STAGED),
            ({"txn_id": "TZ3", "txn_ts": None, "total_amount": Decimal("1.00"), "phone": 8613912342222.0},
             junk("missing_key")),
        ],
        TYPED_NS: [
            # TIMESTAMP_NS without zone: wall clock 2025-06-11 09:00:00.123456789 (Shanghai)
            ({"txn_id": "TN1", "txn_ts": 1749632400123456789, "total_amount": 1299.5, "phone": "13912343333"}, STAGED),
            ({"txn_id": "TN2", "txn_ts": 1749632400000000000, "total_amount": 12.0, "phone": "13912343333"}, STAGED),
            ({"txn_id": "TN3", "txn_ts": 1749632400000000000, "total_amount": 100000000.0, "phone": "13912343333"},
             junk("absurd_amount")),
        ],
        TYPED_DATE: [
            ({"txn_id": "TD1", "txn_ts": dt.date(2025, 6, 11), "total_amount": 1299, "phone": "13912344444"}, STAGED),
            ({"txn_id": "TD2", "txn_ts": dt.date(2025, 6, 12), "total_amount": -5, "phone": "13912344444"}, STAGED),
        ],
    },
    "pos_lines": {
        FIRST: [
            (line("txn_id", "T1", "1"), STAGED),
            (line("txn_id", "T2", "1", quantity="-1"), STAGED),  # return line
            (line("txn_id", "T3", "1"), junk("orphan_line")),
            (line("txn_id", "T404", "1"), junk("orphan_line")),
            (line("txn_id", "T1", "2", quantity="two"), junk("unparseable_amount")),
        ],
    },
    "service_tickets": {
        FIRST: [
            (ticket("K1", satisfaction="5", resolved_at=T1), STAGED),
            (ticket("K2", category="unknown_cat"), junk("unmapped_enum")),
            (ticket("K3", channel="fax"), junk("unmapped_enum")),
            (ticket("K4", satisfaction="7"), junk("unmapped_enum")),
            (ticket("K5", created_at=FUTURE, updated_at=T1), junk("future_timestamp")),
            (ticket(None), junk("missing_key")),
        ],
    },
    "campaigns": {
        FIRST: [
            (campaign("K1"), STAGED),
            (campaign("K2", objective="xx"), junk("unmapped_enum")),
            (campaign("K3", start_at="N/A"), junk("unparseable_timestamp")),
            (campaign("K4", start_at=FUTURE), junk("future_timestamp")),
        ],
    },
    "campaign_touches": {
        FIRST: [
            (touch("H1"), STAGED),
            (touch("H2", assigned_group="control", sent_at=""), STAGED),  # held out: no send time
            (touch("H3", channel="carrier_pigeon"), junk("unmapped_enum")),
            (touch("H4", recipient_type="fax_no"), junk("unmapped_enum")),
            (touch(None), junk("missing_key")),
        ],
    },
    "survey_responses": {
        FIRST: [
            (response("R1"), STAGED),
            (response("R2", income_band="", age_band="55+"), STAGED),
            (response("R3", nps="11"), junk("unmapped_enum")),
            (response("R4", age_band="100+"), junk("unmapped_enum")),
            (response("R5", submitted_at="N/A"), junk("unparseable_timestamp")),
        ],
    },
    # privacy_requests: the folder exists but holds no file (an empty, typed model, not an error).
}


def expected_rows() -> dict[tuple[str, str, int], tuple]:
    return {
        (table, file_name, position): expectation
        for table, files in CASES.items()
        for file_name, rows in files.items()
        for position, (_, expectation) in enumerate(rows)
    }


# Arrow types of the typed files' typed columns (every other column is text).
TYPED: dict[str, dict[str, dict[str, pa.DataType]]] = {
    "pos_transactions": {
        TYPED_TZ: {"txn_ts": pa.timestamp("us", tz="UTC"), "total_amount": pa.decimal128(18, 2), "phone": pa.float64()},
        TYPED_NS: {"txn_ts": pa.timestamp("ns"), "total_amount": pa.float64()},
        TYPED_DATE: {"txn_ts": pa.date32(), "total_amount": pa.int64()},
    },
}


def write_typed(raw: Path) -> None:
    """Write the `TYPED` files: typed columns as given, other columns as text from `transaction`."""
    for table, files in TYPED.items():
        for file_name, types in files.items():
            rows = [transaction(None) | row for row, _ in CASES[table][file_name]]
            data = {column: pa.array([row.get(column) for row in rows], types.get(column, pa.string()))
                    for column in RAW_CONTRACT[table]}
            pq.write_table(pa.table(data), raw / table / file_name)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("staging_quarantine")
    raw = work / "raw"
    for file_name in (FIRST, SECOND):
        write_raw(raw, {
            table: [row for row, _ in files.get(file_name, [])]
            for table, files in CASES.items() if file_name in files
        }, file_name=file_name)
    for table in ("privacy_requests",):
        for file in (raw / table).glob("*.parquet"):
            file.unlink()
    write_typed(raw)
    db = work / "portrait.duckdb"
    env = {"PORTRAIT_RAW_DIR": str(raw), "PORTRAIT_DB": str(db), "PORTRAIT_HASH_KEY": TEST_HASH_KEY}
    result = run_dbt(["build", *SELECT], env=env, work_dir=work, capture=True, check=False)
    assert result.returncode == 0, (result.stdout or "")[-6000:]
    assert "no raw files for table 'privacy_requests'" in result.stdout
    return db


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_raw_row_lands_in_its_bucket_with_its_reason(warehouse: Path) -> None:
    actual = {}
    for table in CASES:
        base = {"crm_members": "base_crm__members", "shop_accounts": "base_shop__accounts",
                "shop_orders": "base_shop__orders", "shop_order_items": "base_shop__order_items",
                "app_events": "base_app__events", "wechat_users": "base_wechat__users",
                "pos_transactions": "base_pos__transactions", "pos_lines": "base_pos__lines",
                "service_tickets": "base_service__tickets", "campaigns": "base_marketing__campaigns",
                "campaign_touches": "base_marketing__campaign_touches",
                "survey_responses": "base_survey__responses"}[table]
        for file_name, position, bucket, reason in query(
            warehouse,
            f"select _source_file, _source_row, row_bucket, quarantine_reason from staging.{base}",
        ):
            actual[(table, Path(file_name).name, position)] = (bucket, reason)
    expected = {key: (value[0], value[1] if len(value) > 1 else None) for key, value in expected_rows().items()}
    wrong = {key: (expected.get(key), actual.get(key)) for key in expected.keys() | actual.keys()
             if expected.get(key) != actual.get(key)}
    assert not wrong, "(table, file, row): (expected, actual)\n" + "\n".join(f"{k}: {v}" for k, v in sorted(wrong.items()))


def test_quarantine_keeps_reason_source_table_raw_key_and_raw_row(warehouse: Path) -> None:
    rows = query(warehouse, """
        select source_table, raw_key, quarantine_reason, json_extract_string(raw_row_json, '$.total_amount')
        from staging.stg_quarantine__rows
    """)
    junk_rows = sum(1 for files in CASES.values() for rows in files.values() for _, e in rows if e[0] == "quarantined")
    assert len(rows) == junk_rows
    assert ("shop_orders", "O4", "unparseable_amount", "abc") in rows
    assert ("pos_transactions", "T3", "absurd_amount", "-99999999.00") in rows
    assert ("shop_order_items", "O404|1", "orphan_line", None) in rows
    raw_json = query(warehouse, "select raw_row_json from staging.stg_quarantine__rows where raw_key = 'M010'")
    assert '"register_channel":"kiosk??"' in raw_json[0][0]


def test_reconciliation_balances_for_all_13_tables(warehouse: Path) -> None:
    rows = query(warehouse, """
        select source_table, raw_rows, staged_rows, duplicate_rows, quarantined_rows, erased_rows, is_balanced
        from marts.audit_row_reconciliation order by source_table
    """)
    assert len(rows) == 13
    by_table = {r[0]: r[1:] for r in rows}
    for table, files in CASES.items():
        expectations = [e[0] for rows_ in files.values() for _, e in rows_]
        assert by_table[table] == (
            len(expectations), expectations.count("staged"), expectations.count("duplicate"),
            expectations.count("quarantined"), 0, True,
        ), table
    assert by_table["privacy_requests"] == (0, 0, 0, 0, 0, True)


def test_staged_rows_are_parsed_and_normalised(warehouse: Path) -> None:
    members = dict(query(warehouse, "select member_id, city from staging.stg_crm__members where member_id in ('M001', 'M003')"))
    assert members == {"M001": "北京", "M003": "b"}
    assert query(warehouse, """
        select gender, phone, is_phone_invalid, birth_date, is_birth_date_invalid
        from staging.stg_crm__members where member_id = 'M011'
    """) == [("unknown", None, True, None, True)]
    assert query(warehouse, "select is_email_placeholder from staging.stg_crm__members where member_id = 'M012'") == [(True,)]
    assert query(warehouse, "select total_amount, platform from staging.stg_shop__orders where order_id = 'O2'")[0] == (1299, "miniprogram")
    assert query(warehouse, "select status from staging.stg_shop__orders where order_id = 'O1'") == [("shipped",)]
    assert query(warehouse, "select total_amount, is_return, is_phone_placeholder from staging.stg_pos__transactions where txn_id = 'T2'") == [(-299, True, True)]
    events = dict(query(warehouse, "select event_id, strftime(event_at, '%Y-%m-%d %H:%M:%S') from staging.stg_app__events"))
    assert events["E2"] == events["E3"] == events["E4"] == "2025-06-18 12:15:07"  # all UTC
    assert events["E1"] == "2025-06-18 11:00:00"
    assert query(warehouse, "select is_device_id_placeholder, device_id from staging.stg_app__events where event_id = 'E5'") == [
        (True, "00000000-0000-0000-0000-000000000000")]
    assert query(warehouse, "select phone_masked, length(phone_hash) from staging.stg_crm__members where member_id = 'M001'") == [("138****5678", 64)]
    assert query(warehouse, "select is_openid_placeholder from staging.stg_wechat__users where openid = 'undefined'") == [(True,)]
    assert query(warehouse, "select count(*) from staging.stg_wechat__users where lower(openid) = 'o' || repeat('a', 27)") == [(2,)]
    assert query(warehouse, "select recipient, sent_at from staging.stg_marketing__campaign_touches where touch_id = 'H2'") == [("13812345678", None)]
    assert query(warehouse, "select count(*) from staging.stg_privacy__requests") == [(0,)]


def test_raw_values_are_parsed_by_their_documented_rule(warehouse: Path) -> None:
    """Typed Parquet columns mean what their type says; amounts, phones, control characters
    and identifiers follow docs/raw_formats.md (a full build of these reaches the marts)."""
    receipts = {row[0]: row[1:] for row in query(warehouse, """
        select txn_id, strftime(transacted_at, '%Y-%m-%d %H:%M:%S.%f'), total_amount, phone, store_city
        from staging.stg_pos__transactions where txn_id like 'T_%'
    """)}
    # TIMESTAMP WITH TIME ZONE: the instant (was read as Shanghai local time, 8 hours early)
    assert receipts["TZ1"] == ("2025-06-11 01:00:00.000000", Decimal("1299.50"), "13912341111", "上海")
    assert receipts["TZ2"][:3] == ("2025-06-11 01:00:00.500000", Decimal("-12.00"), None)
    # TIMESTAMP_NS without zone: Asia/Shanghai local time, cut to microseconds; DOUBLE amounts
    assert receipts["TN1"][:2] == ("2025-06-11 01:00:00.123456", Decimal("1299.50"))
    assert receipts["TN2"][:2] == ("2025-06-11 01:00:00.000000", Decimal("12.00"))
    # DATE: local midnight; BIGINT amounts
    assert receipts["TD1"][:2] == ("2025-06-10 16:00:00.000000", Decimal("1299.00"))
    assert receipts["TD2"][:2] == ("2025-06-11 16:00:00.000000", Decimal("-5.00"))
    # text `+00` offset, NUL and tab removed from the city
    assert receipts["T7"][0] == "2025-06-11 01:00:00.000000" and receipts["T7"][3] == "上海"
    # a float phone with the country code in a quarantined row's JSON, as delivered
    assert query(warehouse, "select json_extract_string(raw_row_json, '$.phone') from staging.stg_quarantine__rows "
                            "where raw_key = 'TZ3'") == [("8613912342222.0",)]
    assert query(warehouse, """
        select total_amount, discount_amount, account_id, is_account_id_invalid
        from staging.stg_shop__orders where order_id = 'O13'
    """) == [(Decimal("12345.60"), None, None, True)]
    assert query(warehouse, """
        select card_no, is_card_no_invalid, city, phone from staging.stg_crm__members where member_id = 'M013'
    """) == [(None, True, "杭州", "13912348888")]
    assert query(warehouse, """
        select strftime(event_at, '%Y-%m-%d %H:%M:%S'), device_id, is_device_id_invalid
        from staging.stg_app__events where event_id = 'E11'
    """) == [("2025-06-18 19:00:00", None, True)]
    assert ("crm_members", "M1'; drop table x;--", "invalid_identifier") in query(
        warehouse, "select source_table, raw_key, quarantine_reason from staging.stg_quarantine__rows")
