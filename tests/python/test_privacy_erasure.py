"""Erasure (right to be forgotten) end to end on the tiny dataset, through `portrait run`.

One person of the generator's truth asks to be erased, naming one identifier the way a
form would (`+86 …` for a phone). After the next `portrait run`:

- none of their identifiers (raw and canonical forms), keyed hashes or person ids is in
  any table of the private warehouse (but the suppression list, which holds their keyed
  hashes by design), the published file or the Parquet exports, nor in the bytes of any
  file in the warehouse folder (freed DuckDB blocks keep old data: the run compacts);
- the erasure ledger proves it (rows removed per raw table, no PII) and the row
  reconciliation counts the erased rows;
- re-delivering every old raw row of theirs brings nothing back, while a new, separate
  sign-up with the same phone after the request is a new person;
- the first build under a new hash key re-applies the erasure from the raw request
  (the ledger notes the new key) and still nothing comes back.

The run's second build erases the rows its incremental base models already hold in place
(`erase_held_rows`); the result equals a full rebuild, row for row, including an older,
anonymous version of one of their orders, which becomes the order's row.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from portrait.bench import erasures_applied
from portrait.generate.config import AS_OF_DATE
from portrait.hash_key import key_id
from portrait.identity.canonical import IDENTIFIER_TYPES, canonical
from portrait.dbt import run_dbt
from warehouse_fixtures import TEST_HASH_KEY, Nightly

# A request after every row of the tiny load (its last arrival is 23:59 local on the
# as-of date), so every row of the person, contact points included, predates it.
REQUESTED_AT = f"{AS_OF_DATE} 23:59:50"
REQUEST_ID = "PRT-ERASE-1"
ROTATED_KEY = "rotated-key-fedcba9876543210fedcba9876543210"

# Raw columns holding identifiers: (raw table, column, identifier type; None = the
# type is in `<column>_type`).
RAW_IDENTIFIER_COLUMNS = [
    ("crm_members", "member_id", "member_id"), ("crm_members", "card_no", "card_no"),
    ("crm_members", "phone", "phone"), ("crm_members", "email", "email"), ("crm_members", "unionid", "unionid"),
    ("shop_accounts", "account_id", "account_id"), ("shop_accounts", "phone", "phone"),
    ("shop_accounts", "email", "email"), ("shop_orders", "account_id", "account_id"),
    ("shop_orders", "ship_phone", "phone"), ("app_events", "device_id", "device_id"),
    ("app_events", "anonymous_id", "anonymous_id"), ("app_events", "account_id", "account_id"),
    ("app_events", "openid", "openid"), ("wechat_users", "openid", "openid"),
    ("wechat_users", "unionid", "unionid"), ("wechat_users", "phone", "phone"),
    ("pos_transactions", "member_card_no", "card_no"), ("pos_transactions", "phone", "phone"),
    ("service_tickets", "contact_phone", "phone"), ("service_tickets", "contact_email", "email"),
    ("service_tickets", "account_id", "account_id"), ("survey_responses", "phone", "phone"),
    ("survey_responses", "email", "email"), ("campaign_touches", "recipient", None),
    ("privacy_requests", "identifier", None),
]
INCREMENTAL_BASE_MODELS = ["base_app__events", "base_shop__orders"]
LINES = {"shop_order_items": ("shop_orders", "order_id"), "pos_lines": ("pos_transactions", "txn_id")}


def keyed_hash(con: duckdb.DuckDBPyConnection, key: str, domain: str, value: str) -> str:
    """`identifier_hash` / `person_id_from` of macros/identity (sha256 over key, type, value)."""
    return con.execute("select sha256(?)", [f"{key}:{domain}:{value}"]).fetchall()[0][0]


class Subject:
    """The person who asks to be erased: their identifiers and every form they take."""

    def __init__(self, raw: Path, truth: Path) -> None:
        con = duckdb.connect()
        # A well-connected person: every identifier type, no shared device.
        self.person_key = con.execute(f"""
            select person_key from read_parquet('{truth / "identity.parquet"}')
            group by person_key
            having count(distinct identifier_type) = 9 and not bool_or(is_shared)
            order by count(*) desc, person_key limit 1""").fetchall()[0][0]
        self.identifiers = con.execute(f"""
            select identifier_type, identifier_value from read_parquet('{truth / "identity.parquet"}')
            where person_key = ? order by identifier_type, identifier_value""", [self.person_key]).fetchall()
        canonical_set = set(self.identifiers)
        self.raw_values: set[str] = set()
        self.raw_rows: dict[str, list[int]] = {}
        for table, column, id_type in RAW_IDENTIFIER_COLUMNS:
            type_column = "null" if id_type else f"{'recipient' if table == 'campaign_touches' else 'identifier'}_type"
            rows = con.execute(f"""
                select file_row_number, cast({column} as varchar), cast({type_column} as varchar)
                from read_parquet('{raw / table}/*.parquet', file_row_number = true)
                where {column} is not null""").fetchall()
            for row_number, value, row_type in rows:
                value_type = id_type or _request_type(row_type)
                if value_type and (value_type, canonical(value_type, value)) in canonical_set:
                    self.raw_values.add(value.strip())
                    self.raw_rows.setdefault(table, []).append(row_number)
        self.phone = next(value for id_type, value in self.identifiers if id_type == "phone")
        # An order placed from their account (not a gift to their phone).
        self.own_order = next(
            order_id for order_id, account in con.execute(f"""
                select order_id, account_id from read_parquet('{raw / "shop_orders"}/*.parquet')
                where account_id is not null order by order_id""").fetchall()
            if ("account_id", canonical("account_id", account)) in canonical_set)
        con.close()

    def needles(self, key: str) -> set[str]:
        """Every string that would betray the person: raw and canonical values, keyed hashes
        and every person id their identifiers could give, under `key`."""
        con = duckdb.connect()
        found = {value.lower() for value in self.raw_values} | {value.lower() for _, value in self.identifiers}
        for id_type, value in self.identifiers:
            found.add(keyed_hash(con, key, id_type, value))
            found.add("p_" + keyed_hash(con, key, f"person/{id_type}", value)[:20])
        con.close()
        return found


def _request_type(raw_type: str | None) -> str | None:
    """The identifier type a raw privacy request or campaign touch names (enum spellings)."""
    spelled = (raw_type or "").strip().lower()
    aliases = {"mobile": "phone", "member_card_no": "card_no"}
    spelled = aliases.get(spelled, spelled)
    return spelled if spelled in IDENTIFIER_TYPES else None


def write_parquet(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy ({sql}) to '{path}' (format parquet)").fetchall()


def _patterns(needles: set[str]) -> tuple[str, str]:
    """RE2 alternations: any needle (lower-case text), and any phone needle (digits only)."""
    text = "|".join(re.escape(needle) for needle in sorted(needles))
    phones = "|".join(sorted(n for n in needles if re.fullmatch(r"1[3-9][0-9]{9}", n))) or "$^"
    return text, phones


def _hit_columns(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], needles: set[str]) -> list[str]:
    """Columns of `relation` where a value contains a needle (case-insensitive; phones also
    on the value's digits alone): one pass per table, then per column only on a hit."""
    text, phones = _patterns(needles)

    def condition(cols: list[str]) -> str:
        as_text = ", ".join(f'lower(cast("{c}" as varchar))' for c in cols)
        as_digits = ", ".join(f"""regexp_replace(cast("{c}" as varchar), '[^0-9]', '', 'g')""" for c in cols)
        return (f"regexp_matches(concat_ws(' ', {as_text}), '{text}') "
                f"or regexp_matches(concat_ws(' ', {as_digits}), '{phones}')")

    if not con.execute(f"select count(*) from {relation} where {condition(columns)}").fetchall()[0][0]:
        return []
    return [c for c in columns
            if con.execute(f"select count(*) from {relation} where {condition([c])}").fetchall()[0][0]]


def hits_in_tables(db: Path, needles: set[str], skip: set[str] = frozenset()) -> list[str]:
    """`schema.table.column` of every column of every table or view in `db` holding a needle."""
    con = duckdb.connect()
    con.execute(f"attach '{db}' as scanned (read_only)").fetchall()
    tables: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in con.execute("""
            select table_schema, table_name, column_name from information_schema.columns
            where table_catalog = 'scanned' order by all""").fetchall():
        tables.setdefault((schema, table), []).append(column)
    found = [f"{schema}.{table}.{column}" for (schema, table), columns in tables.items()
             if f"{schema}.{table}" not in skip
             for column in _hit_columns(con, f'scanned."{schema}"."{table}"', columns, needles)]
    con.close()
    return found


def hits_in_parquet(folder: Path, needles: set[str]) -> list[str]:
    con = duckdb.connect()
    found = []
    for path in sorted(folder.rglob("*.parquet")):
        relation = f"read_parquet('{path}')"
        columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
        found += [f"{path.name}.{column}" for column in _hit_columns(con, relation, columns, needles)]
    con.close()
    return found


def hits_in_bytes(folder: Path, needles: set[str]) -> list[str]:
    """Files under `folder` whose bytes hold a needle (freed blocks, logs, reports)."""
    found = []
    encoded = [needle.encode() for needle in needles]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        found += [f"{path.relative_to(folder)}: {needle.decode()[:6]}…" for needle in encoded if needle in data]
    return found


def assert_nothing_left(night: Nightly, needles: set[str]) -> None:
    private = hits_in_tables(night.private, needles, skip={"privacy.privacy_suppression_list"})
    assert private == [], f"the erased person is still in the private warehouse: {private}"
    assert hits_in_tables(night.publish, needles) == []
    assert hits_in_parquet(night.exports, needles) == []
    # The suppression list holds keyed hashes on purpose; the bytes of every other file
    # (and of the private file outside that table, checked above) hold no plain value.
    plain = {needle for needle in needles if len(needle) != 64 and not needle.startswith("p_")}
    assert hits_in_bytes(night.private.parent, plain) == []


@pytest.fixture(scope="module")
def erased(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Nightly, Subject]:
    """A copy of the tiny landing zone plus an erasure request, after one `portrait run`."""
    root = tmp_path_factory.mktemp("erasure")
    raw = root / "raw"
    shutil.copytree(tiny_dataset / "raw", raw)
    subject = Subject(raw, tiny_dataset / "truth")
    night = Nightly(root, raw, tiny_dataset / "truth")
    digits = subject.phone
    with duckdb.connect() as con:
        # The first version of one of their orders, placed as a guest (no account, no
        # phone): once their versions are erased it is the order's only valid row.
        write_parquet(con, f"""
            select * replace (null as account_id, null as ship_phone,
                              strftime(cast(updated_at as timestamp) - interval 1 minute, '%Y-%m-%d %H:%M:%S')
                                  as updated_at)
            from read_parquet('{raw / "shop_orders"}/*.parquet')
            where order_id = '{subject.own_order}'
            order by cast(updated_at as timestamp) limit 1""",
                      raw / "shop_orders" / "shop_orders__guest_version.parquet")
        write_parquet(con, f"""
            select '{REQUEST_ID}' as request_id, 'mobile' as identifier_type,
                   '+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}' as identifier,
                   'erasure' as request_type, '{REQUESTED_AT}' as requested_at""",
                      raw / "privacy_requests" / "privacy_requests__erasure.parquet")
    result, report = night.run()
    assert result.returncode == 0, result.stderr[-5000:]
    night.first_report = report
    return night, subject


def test_erasure_leaves_nothing_of_the_person(erased: tuple[Nightly, Subject]) -> None:
    night, subject = erased
    report = night.first_report
    assert report["status"] == "published"
    assert report["erasure"]["new_entries"] >= 10  # at least one identifier of each of the nine types + the person
    assert report["erasure"]["builds"] == 2 and report["erasure"]["compacted"]
    assert len(subject.raw_values) >= 9
    assert_nothing_left(night, subject.needles(TEST_HASH_KEY))


def test_held_rows_erased_in_place_equal_a_full_rebuild(erased: tuple[Nightly, Subject],
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    night, subject = erased
    # dbt rotates its log past 10 MB: read every part
    log = "".join(path.read_text(errors="replace") for path in sorted((night.root / "logs").glob("dbt.log*")))
    for model in INCREMENTAL_BASE_MODELS:  # the second build erased their held rows in place
        assert re.search(rf'delete from "portrait"\."staging"\."{model}" as held\s+using', log), model
    with duckdb.connect(str(night.private), read_only=True) as con:
        versions = con.execute("""
            select row_bucket, _source_file like '%guest_version%' from staging.base_shop__orders
            where order_id = ? order by all""", [subject.own_order]).fetchall()
    # their versions erased, the guest version (once a duplicate of the older kind) the row
    assert versions[-1] == ("staged", True) and {row for row in versions[:-1]} == {("erased", False)}

    rebuilt = tmp_path_factory.mktemp("rebuilt") / "portrait.duckdb"
    shutil.copyfile(night.private, rebuilt)
    run_dbt(["run", "--full-refresh", "-s", *INCREMENTAL_BASE_MODELS],
            env={**night.env, "PORTRAIT_DB": str(rebuilt)}, work_dir=rebuilt.parent, capture=True)
    with duckdb.connect() as con:
        con.execute(f"attach '{night.private}' as incremental (read_only)").fetchall()
        con.execute(f"attach '{rebuilt}' as rebuilt (read_only)").fetchall()
        for model in INCREMENTAL_BASE_MODELS:
            rows = con.execute(f"select count(*) from incremental.staging.{model}").fetchall()[0][0]
            differing = con.execute(f"""
                select count(*) from (
                    (select * from incremental.staging.{model} except all select * from rebuilt.staging.{model})
                    union all
                    (select * from rebuilt.staging.{model} except all select * from incremental.staging.{model}))
            """).fetchall()[0][0]
            erased_rows = con.execute(
                f"select count(*) from incremental.staging.{model} where row_bucket = 'erased'").fetchall()[0][0]
            assert rows > 0 and erased_rows > 0 and differing == 0, (model, rows, erased_rows, differing)


def test_the_ledger_and_the_reconciliation_prove_it(erased: tuple[Nightly, Subject]) -> None:
    night, subject = erased
    with duckdb.connect(str(night.publish), read_only=True) as con:
        ledger = con.execute("""
            select source_table, status, rows_removed, identifiers_suppressed, cast(requested_date as varchar)
            from marts.audit_erasures where erasure_request_id = ?""", [REQUEST_ID]).fetchall()
        reconciliation = dict(con.execute(
            "select source_table, erased_rows from audit_row_reconciliation where is_balanced").fetchall())
        columns = {row[0] for row in con.execute("describe marts.audit_erasures").fetchall()}
    removed = {table: rows for table, _, rows, _, _ in ledger}
    assert len(ledger) == 13 and {row[1] for row in ledger} == {"applied"}
    assert {row[4] for row in ledger} == {str(AS_OF_DATE)}
    assert len({row[3] for row in ledger}) == 1 and 9 <= ledger[0][3] <= len(subject.identifiers)
    # Every raw row carrying one of their identifiers was erased (lines follow their
    # parents; the raw request itself names their phone). The generator's own erasure
    # requests (none in tiny) would add rows of other persons, never fewer.
    for table, rows in subject.raw_rows.items():
        if table != "shop_orders":  # an order of theirs is erased; a gift to their phone only loses ship_phone
            assert removed[table] >= len(set(rows)), table
        assert reconciliation[table] >= removed[table]
    assert removed["shop_order_items"] > 0 or removed["pos_lines"] > 0
    assert columns == {"erasure_request_id", "source_table", "status", "requested_at", "requested_date",
                       "suppressed_at", "applied_at", "applied_date", "identifiers_suppressed", "rows_removed",
                       "hash_key_id", "reason"}  # ids, times, counts and reasons: no PII
    assert erasures_applied(night.publish) == 1  # what `portrait bench` reports per night


def test_redelivered_rows_stay_erased_and_a_new_signup_is_a_new_person(erased: tuple[Nightly, Subject]) -> None:
    night, subject = erased
    raw = Path(night.env["PORTRAIT_RAW_DIR"])
    with duckdb.connect() as con:
        for table, rows in subject.raw_rows.items():
            write_parquet(con, f"""
                select * exclude (file_row_number)
                from read_parquet('{raw / table}/*.parquet', file_row_number = true)
                where file_row_number in ({', '.join(str(row) for row in sorted(set(rows)))})""",
                          raw / table / f"{table}__zz_redelivered.parquet")
        for table, (parent, key) in LINES.items():
            parent_rows = subject.raw_rows.get(parent, [])
            if parent_rows:
                write_parquet(con, f"""
                    select lines.* from read_parquet('{raw / table}/*.parquet') as lines
                    where lines.{key} in (
                        select {key} from read_parquet('{raw / parent}/*.parquet', file_row_number = true)
                        where file_row_number in ({', '.join(str(row) for row in sorted(set(parent_rows)))}))""",
                              raw / table / f"{table}__zz_redelivered.parquet")
        # A new, separate sign-up after the request, with the same phone.
        write_parquet(con, f"""
            select 'M-NEW-SIGNUP-1' as member_id, null as card_no, '新会员' as full_name, '{subject.phone}' as phone,
                   null as email, '2' as gender, null as birth_date, '上海' as city, 'store' as register_channel,
                   '{AS_OF_DATE} 23:59:55' as registered_at, '{AS_OF_DATE} 23:59:55' as updated_at, null as unionid""",
                      raw / "crm_members" / "crm_members__zz_new_signup.parquet")
    result, report = night.run()
    assert result.returncode == 0, result.stderr[-5000:]
    assert report["erasure"]["new_entries"] == 0 and report["erasure"]["builds"] == 1
    with duckdb.connect(str(night.private), read_only=True) as con:
        new_person = con.execute("""
            select person_id, list(identifier_type order by identifier_type)
            from intermediate.int_identity__person_map
            where person_id in (select person_id from intermediate.int_identity__person_map
                                where identifier_type = 'member_id' and identifier_value = 'M-NEW-SIGNUP-1')
            group by person_id""").fetchall()
    assert [types for _, types in new_person] == [["member_id", "phone"]]
    # The phone is theirs again only through the new sign-up; nothing else of the old person.
    needles = subject.needles(TEST_HASH_KEY) - {subject.phone, keyed_hash(duckdb.connect(), TEST_HASH_KEY, "phone",
                                                                              subject.phone)}
    needles -= {value.lower() for value in subject.raw_values if canonical("phone", value) == subject.phone}
    needles.discard(new_person[0][0])
    assert_nothing_left(night, needles)


def test_a_new_hash_key_reapplies_the_erasure_from_the_raw_request(erased: tuple[Nightly, Subject]) -> None:
    night, subject = erased
    # A deliberate rotation (what `portrait rotate-key` allows): the new key's fingerprint.
    result, report = night.run("--full-refresh", env={"PORTRAIT_HASH_KEY": ROTATED_KEY,
                                                      "PORTRAIT_ROTATE_HASH_KEY": key_id(ROTATED_KEY)})
    assert result.returncode == 0, result.stderr[-5000:]
    assert report["erasure"]["new_entries"] > 0 and report["erasure"]["compacted"]
    with duckdb.connect(str(night.publish), read_only=True) as con:
        keys = con.execute("select count(distinct hash_key_id) from marts.audit_erasures where erasure_request_id = ?",
                           [REQUEST_ID]).fetchall()[0][0]
    assert keys == 2
    needles = subject.needles(ROTATED_KEY) | subject.needles(TEST_HASH_KEY)
    needles -= {subject.phone} | {value.lower() for value in subject.raw_values
                                  if canonical("phone", value) == subject.phone}
    for key in (TEST_HASH_KEY, ROTATED_KEY):
        needles.discard(keyed_hash(duckdb.connect(), key, "phone", subject.phone))
    with duckdb.connect(str(night.private), read_only=True) as con:
        needles -= {row[0] for row in con.execute(
            "select person_id from intermediate.int_identity__person_map where identifier_value = 'M-NEW-SIGNUP-1'"
        ).fetchall()}
    assert_nothing_left(night, needles)
