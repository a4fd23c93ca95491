"""Tests of the synthetic data generator (portrait.generate), on the tiny scale.

Everything checked here is recomputed from the raw files and the truth files with
independent, deliberately simple SQL: never from the generator's own statistics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from portrait.generate import AS_OF_DATE, SCALES, GeneratorError, generate
from portrait.generate.contract import RAW_CONTRACT

SPEC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"  # the raw landing contract, documented
VERSIONED = {"crm_members": "member_id", "shop_accounts": "account_id", "shop_orders": "order_id",
             "wechat_users": "openid", "service_tickets": "ticket_id"}
ARRIVAL = {"crm_members": "updated_at", "shop_accounts": "updated_at", "shop_orders": "updated_at",
           "wechat_users": "updated_at", "service_tickets": "updated_at", "app_events": "received_at",
           "pos_transactions": "txn_ts", "campaign_touches": "sent_at", "survey_responses": "submitted_at",
           "privacy_requests": "requested_at", "campaigns": "start_at"}
#: identity-bearing raw columns: table -> [(column, identifier type)]
IDENTITY = {
    "crm_members": [("member_id", "member_id"), ("card_no", "card_no"), ("phone", "phone"),
                    ("email", "email"), ("unionid", "unionid")],
    "shop_accounts": [("account_id", "account_id"), ("phone", "phone"), ("email", "email")],
    "shop_orders": [("account_id", "account_id")],
    "app_events": [("device_id", "device_id"), ("anonymous_id", "anonymous_id"), ("account_id", "account_id"),
                   ("openid", "openid")],
    "wechat_users": [("openid", "openid"), ("unionid", "unionid"), ("phone", "phone")],
    "pos_transactions": [("member_card_no", "card_no"), ("phone", "phone")],
    "service_tickets": [("account_id", "account_id"), ("contact_phone", "phone"), ("contact_email", "email")],
    "survey_responses": [("phone", "phone"), ("email", "email")],
}
FILLERS = "('', 'null', 'undefined', 'unknown', '-', 'none', 'nan', 'n/a', '0')"


# ----------------------------------------------------------------------------- independent SQL
def canon(kind: str, col: str) -> str:
    """Canonical identifier (NULL for placeholders), written independently of the generator."""
    x = f"trim({col})"
    if kind == "phone":
        digits = f"regexp_replace({col}, '[^0-9]', '', 'g')"
        return (f"CASE WHEN regexp_full_match({digits}, '(0086|86)?1[3-9][0-9]{{9}}') "
                f"AND right({digits}, 11) NOT IN ('13800138000', '13900139000', '13888888888') "
                f"THEN right({digits}, 11) END")
    if kind == "email":
        e = f"lower({x})"
        return (f"CASE WHEN {e} LIKE '%_@_%._%' AND NOT regexp_matches({e}, '^(test@|noreply@|no-reply@)|"
                f"@(test|example)\\.|^a@a\\.com$') THEN {e} END")
    if kind in ("device_id", "anonymous_id"):
        v = f"lower({x})"
        return f"CASE WHEN {v} NOT IN {FILLERS} AND NOT regexp_full_match({v}, '[0-]+|anon-0+') THEN {v} END"
    return f"CASE WHEN lower({x}) NOT IN {FILLERS} THEN {x} END"


def utc_seconds(col: str) -> str:
    """Seconds since the epoch (UTC) of a raw timestamp in any shape of docs/raw_formats.md."""
    return f"""CASE
        WHEN regexp_full_match({col}, '[0-9]{{13}}') THEN CAST({col} AS BIGINT) / 1000.0
        WHEN regexp_full_match({col}, '[0-9]{{10}}') THEN CAST({col} AS BIGINT) * 1.0
        WHEN {col} LIKE '%Z' THEN epoch_ms(try_strptime({col}, '%Y-%m-%dT%H:%M:%SZ')) / 1000.0
        WHEN {col} LIKE '%+08:00' THEN epoch_ms(try_strptime(left({col}, 19), '%Y-%m-%dT%H:%M:%S')) / 1000.0 - 28800
        ELSE epoch_ms(try_strptime({col}, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S.%g',
                                           '%Y/%m/%d %H:%M:%S'])) / 1000.0 - 28800 END"""


class Data:
    """DuckDB views over one generated dataset: raw tables, valid rows, truth."""

    def __init__(self, root: Path):
        self.root = root
        self.con = duckdb.connect()
        raw, truth = root / "raw", root / "truth"
        for t in RAW_CONTRACT:
            self.con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{raw}/{t}/*.parquet')")
        for t in ("identity", "persons", "future", "junk", "campaign_uplift"):
            self.con.execute(f"CREATE VIEW truth_{t} AS SELECT * FROM '{truth}/{t}.parquet'")
        # valid rows: not listed as junk; versioned tables: the latest valid version per key
        for t, cols in RAW_CONTRACT.items():
            key = cols[0]
            arrival = ARRIVAL.get(t)
            cond = [f"j.raw_key IS NOT DISTINCT FROM r.{key}"]
            cond.append(f"j.raw_arrival IS NOT DISTINCT FROM r.{arrival}" if arrival else "TRUE")
            if "line_no" in cols:
                cond.append("j.raw_line_no IS NOT DISTINCT FROM r.line_no")
            base = (f"SELECT r.* FROM {t} r WHERE NOT EXISTS (SELECT 1 FROM truth_junk j WHERE "
                    f"j.source_table = '{t}' AND {' AND '.join(cond)})")
            if t in VERSIONED:
                base = (f"SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY trim({key}) "
                        f"ORDER BY {utc_seconds('updated_at')} DESC) AS rn FROM ({base})) WHERE rn = 1")
            self.con.execute(f"CREATE VIEW valid_{t} AS {base}")

    def q(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def one(self, sql: str):
        return self.con.execute(sql).fetchone()[0]

    def raw_identifiers_sql(self) -> str:
        """(row id, table, identifier type, canonical value) of every valid identity-bearing cell."""
        parts = []
        for t, cols in IDENTITY.items():
            for col, kind in cols:
                parts.append(f"SELECT '{t}:' || rid AS row_id, '{t}' AS source_table, '{kind}' AS identifier_type, "
                             f"{canon(kind, col)} AS identifier_value FROM (SELECT *, row_number() OVER () AS rid "
                             f"FROM valid_{t})")
        return "SELECT * FROM (" + " UNION ALL ".join(parts) + ") WHERE identifier_value IS NOT NULL"


@pytest.fixture(scope="module")
def data(tiny_dataset: Path) -> Data:
    return Data(tiny_dataset)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


# ----------------------------------------------------------------------------- API and contract
def test_api_constants():
    assert AS_OF_DATE == dt.date(2026, 6, 30)
    assert set(SCALES) >= {"tiny", "small", "medium", "large"}
    assert SCALES["tiny"].persons == 2_000 and SCALES["large"].persons == 1_000_000


def test_every_table_and_column_of_the_contract(tiny_dataset: Path, data: Data):
    for table, columns in RAW_CONTRACT.items():
        files = sorted((tiny_dataset / "raw" / table).glob("*.parquet"))
        assert files, table
        for f in files:
            assert re.fullmatch(rf"{table}__\d{{4}}-\d\d-\d\d__\d{{4}}-\d\d-\d\d__part\d{{3}}\.parquet", f.name)
        described = data.q(f"DESCRIBE SELECT * FROM {table}")
        assert [d[0] for d in described] == columns, table
        assert all(d[1] == "VARCHAR" for d in described), table
        assert data.one(f"SELECT count(*) FROM {table}") > 0, table
    assert (tiny_dataset / "raw" / "_generator_state.json").exists()
    for name in ("identity", "persons", "future", "junk", "campaign_uplift"):
        assert (tiny_dataset / "truth" / f"{name}.parquet").exists()


def test_contract_dict_matches_the_documented_contract():
    spec: dict[str, list[str]] = {}
    for line in SPEC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in RAW_CONTRACT:
            cols = re.sub(r"\s*\([^)]*\)", "", cells[2])
            spec[cells[0]] = [c.strip() for c in cols.split(",")]
    assert spec == RAW_CONTRACT


def test_truth_columns(data: Data):
    cols = lambda t: [r[0] for r in data.q(f"DESCRIBE SELECT * FROM truth_{t}")]  # noqa: E731
    assert cols("identity")[:5] == ["identifier_type", "identifier_value", "person_key", "reachable_key", "is_shared"]
    assert {"person_key", "persona", "gender", "birth_year", "age_band", "city", "city_tier",
            "signup_date"} <= set(cols("persons"))
    assert cols("future")[:6] == ["person_key", "orders_90d", "spend_90d", "orders_365d", "spend_365d", "churned_90d"]
    assert {"source_table", "raw_key", "reason"} <= set(cols("junk"))
    assert data.one("SELECT count(*) FROM truth_persons") == SCALES["tiny"].persons
    assert data.one("SELECT count(DISTINCT person_key) FROM truth_future") == SCALES["tiny"].persons
    assert data.one("SELECT count(*) FROM truth_future WHERE churned_90d <> (orders_90d = 0)") == 0
    assert data.one("SELECT count(DISTINCT persona) FROM truth_persons") == 7
    assert data.one("SELECT count(*) FROM truth_future WHERE orders_365d < orders_90d OR spend_365d < spend_90d") == 0


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes_different_seed_different(tiny_dataset: Path, tmp_path: Path):
    generate("tiny", 42, tmp_path / "again", progress=False)
    generate("tiny", 43, tmp_path / "other", progress=False)
    first, again, other = _digest(tiny_dataset), _digest(tmp_path / "again"), _digest(tmp_path / "other")
    assert first == again
    raw = [k for k in first if k.startswith("raw/")]
    assert all(first[k] != other.get(k) for k in raw)


# ----------------------------------------------------------------------------- --until
def test_until_incremental_equals_one_shot(tiny_dataset: Path, tmp_path: Path):
    out = tmp_path / "inc"
    d1 = dt.date(2025, 3, 31)
    s1 = generate("tiny", 42, out, until=d1, progress=False)
    files1 = _digest(out / "raw")
    assert s1["until"] == str(d1)
    # a call with a date not after the last one is a no-op
    assert generate("tiny", 42, out, until=d1, progress=False)["noop"]
    assert _digest(out / "raw") == files1
    s2 = generate("tiny", 42, out, progress=False)
    files2 = _digest(out / "raw")
    # old files untouched, new files only for the new arrival window
    assert all(files2[k] == v for k, v in files1.items())
    new = set(files2) - set(files1)
    assert new and all("__2025-04-01__2026-06-30__" in k for k in new)
    assert s2["from"] == "2025-04-01"
    con = duckdb.connect()
    for t in RAW_CONTRACT:
        inc = f"read_parquet('{out}/raw/{t}/*.parquet')"
        one = f"read_parquet('{tiny_dataset}/raw/{t}/*.parquet')"
        n_inc = con.execute(f"SELECT count(*) FROM {inc}").fetchone()[0]
        assert n_inc == con.execute(f"SELECT count(*) FROM {one}").fetchone()[0], t
        diff = con.execute(f"SELECT count(*) FROM (SELECT * FROM {inc} EXCEPT ALL SELECT * FROM {one})").fetchone()[0]
        assert diff == 0, t
    # the first batch holds only rows received by d1 (arrival column, local date)
    late = con.execute(f"""SELECT count(*) FROM read_parquet('{out}/raw/app_events/*__2025-03-31__part*.parquet')
        WHERE {utc_seconds('received_at')} >= epoch_ms(TIMESTAMP '2025-03-31 16:00:00') / 1000.0""").fetchone()[0]
    assert late == 0
    # the truth after the last call equals the one-shot truth
    for name in ("identity", "junk", "future"):
        a = f"'{out}/truth/{name}.parquet'"
        b = f"'{tiny_dataset}/truth/{name}.parquet'"
        cols = "* EXCLUDE (file)" if name == "junk" else "*"
        q = f"SELECT count(*) FROM (SELECT {cols} FROM {a} EXCEPT ALL SELECT {cols} FROM {b})"
        assert con.execute(q).fetchone()[0] == 0, name


def test_until_refusals(tmp_path: Path):
    with pytest.raises(GeneratorError, match="after the dataset's as-of date"):
        generate("tiny", 42, tmp_path / "x", until=AS_OF_DATE + dt.timedelta(days=1), progress=False)
    generate("tiny", 42, tmp_path / "y", until=dt.date(2024, 3, 31), progress=False)
    with pytest.raises(GeneratorError, match="refusing"):
        generate("tiny", 7, tmp_path / "y", progress=False)
    with pytest.raises(GeneratorError, match="refusing"):
        generate("small", 42, tmp_path / "y", progress=False)


def test_partial_truth_reflects_delivered_rows(tmp_path: Path):
    out = tmp_path / "early"
    generate("tiny", 42, out, until=dt.date(2024, 6, 30), progress=False)
    d = Data(out)
    raw_ids = d.raw_identifiers_sql()
    missing = d.one(f"""SELECT count(*) FROM (SELECT identifier_type, identifier_value FROM ({raw_ids})
                       EXCEPT SELECT identifier_type, identifier_value FROM truth_identity)""")
    extra = d.one(f"""SELECT count(*) FROM (SELECT identifier_type, identifier_value FROM truth_identity
                      EXCEPT SELECT identifier_type, identifier_value FROM ({raw_ids}))""")
    assert missing == 0 and extra == 0


# ----------------------------------------------------------------------------- truth vs raw
def test_truth_identity_equals_identifiers_of_valid_rows(data: Data):
    raw_ids = data.raw_identifiers_sql()
    missing = data.q(f"""SELECT identifier_type, identifier_value FROM ({raw_ids})
                         EXCEPT SELECT identifier_type, identifier_value FROM truth_identity LIMIT 5""")
    assert missing == []
    extra = data.q(f"""SELECT identifier_type, identifier_value FROM truth_identity
                       EXCEPT SELECT identifier_type, identifier_value FROM ({raw_ids}) LIMIT 5""")
    assert extra == []
    assert data.one("SELECT count(*) - count(DISTINCT (identifier_type, identifier_value)) FROM truth_identity") == 0
    assert data.one("SELECT count(DISTINCT identifier_type) FROM truth_identity") == 9


def test_identifiers_of_one_row_share_a_reachable_component(data: Data):
    raw_ids = data.raw_identifiers_sql()
    split = data.one(f"""
        SELECT count(*) FROM (
            SELECT r.row_id FROM ({raw_ids}) r JOIN truth_identity t USING (identifier_type, identifier_value)
            WHERE NOT t.is_shared AND r.source_table <> 'shop_orders'
            GROUP BY r.row_id HAVING count(DISTINCT t.reachable_key) > 1)""")
    assert split == 0
    # a reachable component never mixes two true persons; shared identifiers stand alone
    assert data.one("""SELECT count(*) FROM (SELECT reachable_key FROM truth_identity
                       GROUP BY 1 HAVING count(DISTINCT person_key) > 1)""") == 0
    assert data.one("""SELECT count(*) FROM truth_identity t WHERE is_shared AND (SELECT count(*)
                       FROM truth_identity u WHERE u.reachable_key = t.reachable_key) > 1""") == 0


def test_junk_of_every_kind_in_several_tables(data: Data):
    kinds = dict(data.q("SELECT reason, count(DISTINCT source_table) FROM truth_junk GROUP BY 1"))
    for reason in ("unparseable_timestamp", "future_timestamp", "missing_key", "unparseable_amount",
                   "absurd_amount", "unmapped_enum"):
        assert kinds.get(reason, 0) >= 3, reason
    assert kinds.get("orphan_line", 0) == 2
    total = sum(data.one(f"SELECT count(*) FROM {t}") for t in RAW_CONTRACT)
    junk = data.one("SELECT count(*) FROM truth_junk")
    assert 0.003 <= junk / total <= 0.008
    # every junk row is in the raw files exactly as listed
    for t, cols in RAW_CONTRACT.items():
        arrival = ARRIVAL.get(t)
        cond = [f"j.raw_key IS NOT DISTINCT FROM r.{cols[0]}"]
        if arrival:
            cond.append(f"j.raw_arrival IS NOT DISTINCT FROM r.{arrival}")
        if "line_no" in cols:
            cond.append("j.raw_line_no IS NOT DISTINCT FROM r.line_no")
        lost = data.one(f"""SELECT count(*) FROM truth_junk j WHERE source_table = '{t}' AND NOT EXISTS
                            (SELECT 1 FROM {t} r WHERE {' AND '.join(cond)})""")
        assert lost == 0, t
    # unparseable and future timestamps really are
    assert data.one(f"""SELECT count(*) FROM app_events WHERE {utc_seconds('event_ts')} IS NULL""") >= \
        data.one("SELECT count(*) FROM truth_junk WHERE source_table = 'app_events' AND reason = 'unparseable_timestamp'") * 0.3
    fut = data.q(f"""SELECT {utc_seconds('e.event_ts')} - {utc_seconds('e.received_at')} FROM app_events e
                     JOIN truth_junk j ON j.source_table = 'app_events' AND j.reason = 'future_timestamp'
                     AND j.raw_key = e.event_id""")
    assert fut and all(x[0] > 86400 for x in fut)


def test_values_that_are_valid_not_junk(data: Data):
    assert data.one("SELECT count(*) FROM valid_pos_transactions WHERE total_amount LIKE '%-%'") > 0
    assert data.one("SELECT count(*) FROM valid_pos_lines WHERE CAST(quantity AS INT) < 0") > 0
    statuses = {r[0] for r in data.q("SELECT DISTINCT lower(trim(status)) FROM shop_orders")}
    assert {"paid", "shipped", "completed", "refunded", "cancelled"} <= statuses
    multi = data.one("SELECT count(*) FROM (SELECT order_id FROM shop_orders GROUP BY 1 HAVING count(*) >= 3)")
    assert multi > 100
    assert data.one("""SELECT count(*) FROM (SELECT ticket_id FROM service_tickets GROUP BY 1
                       HAVING count(*) = 2 AND count(resolved_at) = 1)""") > 50
    names = {r[0] for r in data.q("SELECT DISTINCT event_name FROM app_events")}
    assert {"page_view", "product_view", "search", "add_to_cart", "favorite", "share", "login", "register",
            "checkout", "video_play", "content_like", "push_open"} <= names


# ----------------------------------------------------------------------------- stated rates
def test_event_delivery_rates(data: Data):
    rows, ids = data.q("SELECT count(*), count(DISTINCT event_id) FROM app_events WHERE nullif(event_id, '') IS NOT NULL")[0]
    assert 0.01 <= (rows - ids) / rows <= 0.02
    lag = f"({utc_seconds('received_at')} - {utc_seconds('event_ts')})"
    n, d1, d3 = data.q(f"""SELECT count(*), count(*) FILTER ({lag} > 86400), count(*) FILTER ({lag} > 3 * 86400)
                          FROM valid_app_events""")[0]
    assert 0.04 <= d1 / n <= 0.07
    assert 0.003 <= d3 / n <= 0.008
    assert data.one(f"SELECT max({lag}) FROM valid_app_events") <= 31 * 86400


def test_identity_fragmentation_rates(data: Data):
    ident = "truth_identity"
    # share of persons with an identifier of a type who have at least k of them
    per_type = lambda t, k: data.one(f"""SELECT avg(CASE WHEN n >= {k} THEN 1.0 ELSE 0 END) FROM (
        SELECT person_key, count(*) AS n FROM {ident} WHERE identifier_type = '{t}' AND NOT is_shared
        AND person_key LIKE 'P%' GROUP BY 1)""")
    assert per_type("device_id", 2) >= 0.30  # app users on 2+ devices
    assert 0.035 <= per_type("member_id", 2) <= 0.075  # duplicated CRM members
    assert 0.07 <= per_type("phone", 2) <= 0.15  # changed phones
    # devices that browse anonymously before their first login, and devices that never log in
    first = data.q(f"""
        WITH ev AS (SELECT {canon('device_id', 'device_id')} AS device, account_id,
                           {utc_seconds('event_ts')} AS ts FROM valid_app_events),
        d AS (SELECT device, min(ts) AS first_ts, min(ts) FILTER (WHERE account_id IS NOT NULL) AS first_login,
                     count(account_id) AS logged
              FROM ev WHERE device IS NOT NULL GROUP BY 1)
        SELECT avg(CASE WHEN first_login IS NULL OR first_ts < first_login THEN 1.0 ELSE 0 END),
               sum(CASE WHEN logged = 0 THEN 1 ELSE 0 END) FROM d""")[0]
    assert first[0] >= 0.40 and first[1] > 0
    # family tablets: ~3% of people use a device shared with exactly one other person
    shared = data.q(f"""
        WITH dev AS (SELECT identifier_value FROM {ident} WHERE identifier_type = 'device_id' AND is_shared),
        users AS (SELECT DISTINCT {canon('device_id', 'e.device_id')} AS device, a.person_key
                  FROM valid_app_events e JOIN {ident} a ON a.identifier_type = 'account_id'
                  AND a.identifier_value = trim(e.account_id))
        SELECT count(DISTINCT u.person_key), max(cnt) FROM users u JOIN dev ON dev.identifier_value = u.device
        JOIN (SELECT device, count(*) AS cnt FROM users GROUP BY 1) c USING (device)""")[0]
    persons = data.one("SELECT count(*) FROM truth_persons")
    assert 0.015 <= shared[0] / persons <= 0.045 and shared[1] == 2


def test_store_receipt_rates(data: Data):
    digits = "regexp_replace(phone, '[^0-9]', '', 'g')"
    n, ph = data.q(f"""SELECT count(*), count(*) FILTER (WHERE right({digits}, 11) IN ('00000000000', '13800138000'))
                       FROM valid_pos_transactions""")[0]
    assert 0.02 <= ph / n <= 0.045
    # a store's own phone typed on receipts of several different people
    store = data.q(f"""
        SELECT t.identifier_value, count(DISTINCT c.person_key) FROM valid_pos_transactions p
        JOIN truth_identity t ON t.identifier_type = 'phone' AND t.identifier_value = {canon('phone', 'p.phone')}
        JOIN truth_identity c ON c.identifier_type = 'card_no' AND c.identifier_value = trim(p.member_card_no)
        WHERE t.person_key LIKE 'store:%' GROUP BY 1 ORDER BY 2 DESC LIMIT 1""")
    assert store and store[0][1] >= 3
    assert data.one("SELECT bool_and(is_shared) FROM truth_identity WHERE person_key LIKE 'store:%'")


def test_raw_shapes_and_wechat_links(data: Data):
    phones = " UNION ALL ".join(f"SELECT {c} AS p FROM {t}" for t, c in (
        ("crm_members", "phone"), ("pos_transactions", "phone"), ("survey_responses", "phone"),
        ("service_tickets", "contact_phone"), ("shop_accounts", "phone")))
    for pattern in (r"1[3-9]\d{9}", r"\+86 \d{3}-\d{4}-\d{4}", r"\+861\d{10}", r"861\d{10}",
                    r"0086 \d{3} \d{4} \d{4}", r"\d{3} \d{4} \d{4}", r"\d{3}-\d{4}-\d{4}", r"\(\+86\)1\d{10}",
                    r" 1\d{10} ", r"\+86\(\d{3}\)\d{8}"):
        assert data.one(f"SELECT count(*) FROM ({phones}) WHERE regexp_full_match(p, '{pattern}')") > 0, pattern
    tests = " UNION ALL ".join(f"SELECT lower(trim(email)) AS e FROM {t}" for t in
                               ("survey_responses", "crm_members", "shop_accounts"))
    assert data.one(f"SELECT count(*) FROM ({tests}) WHERE e LIKE 'test@%' OR e LIKE '%@example.com'") > 0
    assert data.one("SELECT count(*) FROM crm_members WHERE email <> lower(trim(email))") > 0
    # one unionid ties the mini-program openid and the official-account openid
    assert data.one("""SELECT count(*) FROM (SELECT unionid FROM valid_wechat_users WHERE unionid IS NOT NULL
                       GROUP BY 1 HAVING count(DISTINCT app_id) = 2)""") > 50
    assert data.one("SELECT count(*) FROM valid_crm_members WHERE unionid IS NOT NULL") > 20
    mini = data.q("""SELECT count(*), count(openid) FROM valid_app_events
                     WHERE lower(platform) IN ('miniprogram', 'mini_program')""")[0]
    assert mini[0] > 0 and mini[0] == mini[1]
    timestamps = data.q("SELECT DISTINCT regexp_replace(received_at, '[0-9]', 'd', 'g') FROM app_events")
    assert len(timestamps) >= 2


def test_persona_behaviour_and_calendar(data: Data):
    # Double 11 and 618 are peaks of valid online orders (first version = order creation)
    days = dict(data.q(f"""
        SELECT strftime(to_timestamp({utc_seconds('order_ts')} + 28800) AT TIME ZONE 'UTC', '%m-%d') AS d, count(*)
        FROM shop_orders WHERE lower(trim(status)) = 'paid' GROUP BY 1"""))
    typical = sorted(days.values())[len(days) // 2]
    assert days["11-11"] >= 3 * typical and days["06-18"] >= 3 * typical
    # personas differ: store_only buy in stores, content browsers browse most and buy least
    rows = data.q("""SELECT persona, avg(orders_history), avg(store_share), avg(sessions_per_week)
                     FROM truth_persons GROUP BY 1""")
    by = {r[0]: r[1:] for r in rows}
    assert by["store_only"][1] > 0.9
    assert by["content_browser"][2] == max(v[2] for v in by.values())
    assert by["content_browser"][0] < by["loyal_high_spender"][0]
    # campaigns: ~30, touches split treatment/control, true uplift by persona
    assert 25 <= data.one("SELECT count(*) FROM campaigns") <= 35
    assert data.one("SELECT count(DISTINCT assigned_group) FROM valid_campaign_touches") == 2
    assert data.one("SELECT count(*) FROM valid_campaign_touches WHERE assigned_group = 'control' AND sent_at IS NOT NULL") == 0
    # every channel on several campaigns, strengths vary
    per_channel = dict(data.q("SELECT lower(trim(channel)), count(*) FROM campaigns GROUP BY 1"))
    assert set(per_channel) == {"sms", "push", "email", "wechat"} and min(per_channel.values()) >= 5


def test_discount_share_by_persona(data: Data):
    amount = lambda c: f"CAST(regexp_replace({c}, '[¥,]', '', 'g') AS DOUBLE)"  # noqa: E731
    share = dict(data.q(f"""
        SELECT p.persona, sum({amount('o.discount_amount')}) / sum({amount('o.total_amount')} + {amount('o.discount_amount')})
        FROM valid_shop_orders o
        JOIN truth_identity a ON a.identifier_type = 'account_id' AND a.identifier_value = trim(o.account_id)
        JOIN truth_persons p USING (person_key) GROUP BY 1"""))
    others = max(v for k, v in share.items() if k != "bargain_hunter")
    assert share["bargain_hunter"] >= 1.5 * others


# ----------------------------------------------------------------------------- campaign uplift
UPLIFT_COLUMNS = ["campaign_id", "persona", "n_treatment", "n_control", "true_uplift", "expected_conversion_uplift"]


def _pooled(cells: list[tuple]) -> tuple[float, float, float]:
    """(realised, expected, standard error) of the n-weighted mean treatment-minus-control
    conversion over cells (n_t, n_c, realised_t, realised_c, expected_t, expected_c, expected_uplift);
    binomial variances from the expected rates."""
    w = [nt + nc for nt, nc, *_ in cells]
    real = sum(wi * (rt - rc) for wi, (_, _, rt, rc, *_) in zip(w, cells)) / sum(w)
    exp = sum(wi * c[6] for wi, c in zip(w, cells)) / sum(w)
    var = sum(wi ** 2 * (et * (1 - et) / nt + ec * (1 - ec) / nc)
              for wi, (nt, nc, _, _, et, ec, _) in zip(w, cells))
    return real, exp, var ** 0.5 / sum(w)


def test_campaign_uplift_truth(data: Data):
    cols = [r[0] for r in data.q("DESCRIBE SELECT * FROM truth_campaign_uplift")]
    assert cols[:6] == UPLIFT_COLUMNS
    personas = data.one("SELECT count(DISTINCT persona) FROM truth_persons")
    campaigns = data.one("SELECT count(*) FROM campaigns")
    assert data.one("SELECT count(*) FROM truth_campaign_uplift") == campaigns * personas
    assert data.one("SELECT count(DISTINCT (campaign_id, persona)) FROM truth_campaign_uplift") == campaigns * personas
    # defined exactly where somebody was touched, a difference of two probabilities
    assert data.one("""SELECT count(*) FROM truth_campaign_uplift
                       WHERE (expected_conversion_uplift IS NULL) <> (n_treatment + n_control = 0)""") == 0
    lo, hi, neg, pos = data.q("""SELECT min(expected_conversion_uplift), max(expected_conversion_uplift),
                                        count(*) FILTER (WHERE expected_conversion_uplift < 0),
                                        count(*) FILTER (WHERE expected_conversion_uplift > 0)
                                 FROM truth_campaign_uplift""")[0]
    assert -1 <= lo < 0 < hi <= 1
    assert neg >= 10 and pos >= 10
    assert data.one("""SELECT count(*) FROM truth_campaign_uplift WHERE expected_conversion_treatment NOT BETWEEN 0 AND 1
                       OR expected_conversion_control NOT BETWEEN 0 AND 1 OR abs(expected_conversion_treatment
                       - expected_conversion_control - expected_conversion_uplift) > 1e-9""") == 0
    # the expected effect has the sign of the generator's parameter; negative cells: annoyed personas
    assert data.one("SELECT count(*) FROM truth_campaign_uplift WHERE expected_conversion_uplift * true_uplift < 0") == 0
    assert data.one("SELECT count(DISTINCT persona) FROM truth_campaign_uplift WHERE true_uplift < 0") >= 2
    assert data.one("SELECT count(DISTINCT persona) FROM truth_campaign_uplift WHERE true_uplift > 0") == personas
    # the attribution window: 14 local dates from the campaign's start date, windows never overlap
    assert data.one(f"""SELECT count(*) FROM truth_campaign_uplift u JOIN campaigns c USING (campaign_id)
        WHERE u.window_start <> CAST(to_timestamp({utc_seconds('c.start_at')} + 28800) AT TIME ZONE 'UTC' AS DATE)
        OR u.window_end <> u.window_start + 13 OR u.channel <> lower(trim(c.channel))""") == 0
    assert data.one("""SELECT count(*) FROM (SELECT DISTINCT campaign_id, window_start, window_end FROM truth_campaign_uplift) a
        JOIN (SELECT DISTINCT campaign_id, window_start, window_end FROM truth_campaign_uplift) b
        ON a.campaign_id < b.campaign_id AND a.window_start <= b.window_end AND b.window_start <= a.window_end""") == 0
    # the persons counted are the touches of the raw table (junk rows are still assigned persons)
    assert data.one("SELECT sum(n_treatment + n_control) FROM truth_campaign_uplift") == \
        data.one("SELECT count(*) FROM campaign_touches")
    valid_t = data.one("SELECT count(*) FROM valid_campaign_touches WHERE assigned_group = 'treatment'")
    assert 0.97 <= valid_t / data.one("SELECT sum(n_treatment) FROM truth_campaign_uplift") <= 1.0


def test_campaign_uplift_realised_agrees_with_expected_tiny(data: Data):
    cells = data.q("""SELECT n_treatment, n_control, realised_conversion_treatment, realised_conversion_control,
                             expected_conversion_treatment, expected_conversion_control, expected_conversion_uplift
                      FROM truth_campaign_uplift WHERE n_treatment > 0 AND n_control > 0""")
    real, exp, se = _pooled(cells)
    assert exp > 0 and abs(real - exp) <= 4 * se, (real, exp, se)


def test_campaign_uplift_realised_agrees_with_expected_small():
    """The `small` world (50,000 persons), simulated in memory (no files): enough cells to
    check the expected uplift cell by cell against the realised difference of conversion rates."""
    import numpy as np

    from portrait.generate.core import n_chunks
    from portrait.generate.simulate import simulate_chunk
    from portrait.generate.world import build_world

    world = build_world(42, SCALES["small"])
    tot: dict = {}
    for c in range(n_chunks(world.scale)):
        for k, v in simulate_chunk(world, c).uplift.items():
            tot[k] = tot.get(k, 0) + v
    nt, nc = tot["n_t"], tot["n_c"]
    n = np.maximum(nt + nc, 1)
    et, ec = tot["p_treat"] / n, tot["p_control"] / n
    rt, rc = tot["buy_t"] / np.maximum(nt, 1), tot["buy_c"] / np.maximum(nc, 1)
    big = (nt >= 200) & (nc >= 200)
    # enough measurable cells, some of them with a negative expected uplift ("do not disturb")
    assert big.sum() >= 40 and ((et - ec)[big] < 0).sum() >= 5 and ((et - ec)[big] > 0).sum() >= 20
    ok = (nt > 0) & (nc > 0)
    cells = list(zip(nt[ok], nc[ok], rt[ok], rc[ok], et[ok], ec[ok], (et - ec)[ok]))
    real, exp, se = _pooled(cells)
    assert abs(real - exp) <= 4 * se, (real, exp, se)
    # the control group converts as the baseline process says
    ctrl_real, ctrl_exp = (nc * rc)[ok].sum() / nc[ok].sum(), (nc * ec)[ok].sum() / nc[ok].sum()
    ctrl_se = np.sqrt((nc * ec * (1 - ec))[ok].sum()) / nc[ok].sum()
    assert abs(ctrl_real - ctrl_exp) <= 4 * ctrl_se, (ctrl_real, ctrl_exp, ctrl_se)
    # cell by cell: standardised differences behave like N(0, 1) (a wrong expectation inflates them)
    var = et * (1 - et) / np.maximum(nt, 1) + ec * (1 - ec) / np.maximum(nc, 1)
    z = ((rt - rc) - (et - ec))[big] / np.sqrt(var[big])
    assert 0.6 <= float(np.mean(z ** 2)) <= 1.6, float(np.mean(z ** 2))
    assert float(np.max(np.abs(z))) < 4.5


def test_tiny_makes_no_erasure_requests(tiny_dataset: Path):
    """Builds of tiny are compared row for row (incremental vs full, bench nights), which
    needs no erasure pass; erasure is tested with planted requests."""
    import duckdb

    kinds = dict(duckdb.sql(f"select request_type, count(*) from read_parquet("
                            f"'{tiny_dataset / 'raw' / 'privacy_requests'}/*.parquet') group by 1").fetchall())
    assert "erasure" not in kinds and kinds.get("marketing_opt_out", 0) > 0
