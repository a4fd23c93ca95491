"""Turn the generator's int arrays into raw text columns with DuckDB, and write Parquet.

Every raw column is VARCHAR (docs/raw_formats.md). The SQL macros below are the only
place where raw shapes are spelled; `canonical_sql` reuses them for the truth files.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import config as C
from . import ids as I
from . import vocab as V
from .junk import ABSURD, BAD_AMOUNT, MISSING, TS
from .util import splitmix64


def _list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _case_special() -> str:
    whens = " ".join(f"WHEN {k} THEN '{v}'" for k, v in I.SPECIAL.items())
    return f"CASE v {whens} ELSE NULL END"


def install_macros(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    salt = f"portrait{seed}:"
    n0 = C.T0_NAIVE_EPOCH_MS
    u0 = C.T0_UTC_EPOCH_MS
    sur_py = _list(s[1] for s in C.SURNAMES)
    sur_zh = _list(s[0] for s in C.SURNAMES)
    giv_py = _list(g[1] for g in C.GIVEN)
    giv_zh = _list(g[0] for g in C.GIVEN)
    domains = _list(C.EMAIL_DOMAINS)
    macros = [
        f"sp(v) AS {_case_special()}",
        # timestamps: ms since 2024-01-01 00:00 local -> one of the 8 shapes
        f"""ts_raw(ms, sh) AS CASE WHEN ms IS NULL OR ms < -100000000000000 THEN NULL ELSE CASE sh
            WHEN 0 THEN strftime(epoch_ms(ms + {n0}), '%Y-%m-%d %H:%M:%S')
            WHEN 1 THEN strftime(epoch_ms(ms + {n0}), '%Y-%m-%dT%H:%M:%S')
            WHEN 2 THEN strftime(epoch_ms(ms + {n0}), '%Y-%m-%d %H:%M:%S.%g')
            WHEN 3 THEN strftime(epoch_ms(ms + {n0}), '%Y/%m/%d %H:%M:%S')
            WHEN 4 THEN strftime(epoch_ms(ms + {u0}), '%Y-%m-%dT%H:%M:%SZ')
            WHEN 5 THEN strftime(epoch_ms(ms + {n0}), '%Y-%m-%dT%H:%M:%S') || '+08:00'
            WHEN 6 THEN CAST(ms + {u0} AS VARCHAR)
            ELSE CAST((ms + {u0}) // 1000 AS VARCHAR) END END""",
        f"junk_ts(v) AS {_list(V.JUNK_TIMESTAMPS)}[v % {len(V.JUNK_TIMESTAMPS)} + 1]",
        f"junk_amount(v) AS {_list(V.JUNK_AMOUNT_TEXT)}[v % {len(V.JUNK_AMOUNT_TEXT)} + 1]",
        f"absurd_amount(v) AS {_list(V.JUNK_AMOUNT_ABSURD)}[v % {len(V.JUNK_AMOUNT_ABSURD)} + 1]",
        """amount_raw(c, sh) AS CASE sh
            WHEN 0 THEN printf('%.2f', c / 100.0)
            WHEN 1 THEN CAST(c / 100.0 AS VARCHAR)
            ELSE '¥' || format('{:,.2f}', c / 100.0) END""",
        # phones
        """phone_fmt(p, sh) AS CASE sh
            WHEN 0 THEN p
            WHEN 1 THEN '+86 ' || substr(p, 1, 3) || '-' || substr(p, 4, 4) || '-' || substr(p, 8, 4)
            WHEN 2 THEN '+86' || p
            WHEN 3 THEN '86' || p
            WHEN 4 THEN '0086 ' || substr(p, 1, 3) || ' ' || substr(p, 4, 4) || ' ' || substr(p, 8, 4)
            WHEN 5 THEN substr(p, 1, 3) || ' ' || substr(p, 4, 4) || ' ' || substr(p, 8, 4)
            WHEN 6 THEN substr(p, 1, 3) || '-' || substr(p, 4, 4) || '-' || substr(p, 8, 4)
            WHEN 7 THEN '(+86)' || p
            WHEN 8 THEN ' ' || p || ' '
            ELSE '+86(' || substr(p, 1, 3) || ')' || substr(p, 4) END""",
        f"""phone_raw(v, sh) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            WHEN v = {I.PHONE_ZEROS} THEN '00000000000' ELSE phone_fmt(CAST(v AS VARCHAR), sh) END""",
        # emails: packed (person << 16 | surname << 8 | given)
        f"""email_canon(v) AS (
            CASE ((v >> 16) % 4)
              WHEN 0 THEN {sur_py}[((v >> 8) & 255) + 1] || {giv_py}[(v & 255) + 1]
              WHEN 1 THEN {sur_py}[((v >> 8) & 255) + 1] || '.' || {giv_py}[(v & 255) + 1]
              WHEN 2 THEN {giv_py}[(v & 255) + 1] || '_' || {sur_py}[((v >> 8) & 255) + 1]
              ELSE {giv_py}[(v & 255) + 1] || {sur_py}[((v >> 8) & 255) + 1] END
            || CAST((((v >> 16) * 7919 + {12345 + seed % 100000}) % 10000000) AS VARCHAR)
            || '@' || {domains}[((v >> 16) // 4) % {len(C.EMAIL_DOMAINS)} + 1])""",
        """email_fmt(e, sh) AS CASE sh WHEN 0 THEN e
            WHEN 1 THEN upper(substr(e, 1, 1)) || substr(e, 2, strpos(e, '@') - 1) || upper(substr(e, strpos(e, '@') + 1))
            WHEN 2 THEN ' ' || e || ' ' ELSE upper(e) END""",
        """email_raw(v, sh) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE email_fmt(email_canon(v), sh) END""",
        # device / anonymous ids from a hash of the value (case chosen per device)
        """uuid_fmt(h) AS substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-'
            || substr(h, 17, 4) || '-' || substr(h, 21, 12)""",
        f"""device_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE CASE WHEN substr(md5('{salt}d' || v), 32, 1) < '4' THEN upper(uuid_fmt(md5('{salt}d' || v)))
                      ELSE uuid_fmt(md5('{salt}d' || v)) END END""",
        f"""device_canon(v) AS uuid_fmt(md5('{salt}d' || v))""",
        f"""anon_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE CASE WHEN substr(md5('{salt}a' || v), 20, 1) < '2' THEN upper('anon-' || substr(md5('{salt}a' || v), 1, 16))
                      WHEN substr(md5('{salt}a' || v), 20, 1) < '4' THEN 'anon-' || upper(substr(md5('{salt}a' || v), 1, 16))
                      ELSE 'anon-' || substr(md5('{salt}a' || v), 1, 16) END END""",
        f"""anon_canon(v) AS 'anon-' || substr(md5('{salt}a' || v), 1, 16)""",
        f"""b64id(s, n) AS substr(translate(to_base64(unhex(substr(sha256(s), 1, 40))), '+/', '-_'), 1, n)""",
        f"""openid_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE 'o' || b64id('{salt}o' || v, 27) END""",
        f"""unionid_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE 'oU' || b64id('{salt}u' || v, 26) END""",
        f"""member_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE 'M' || lpad(CAST((v * 48271 + {1000003 + seed % 1000}) % 100000000 AS VARCHAR), 8, '0') END""",
        f"""card_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE 'C' || lpad(CAST((v * 69621 + {7777777 + seed % 1000}) % 10000000000 AS VARCHAR), 10, '0') END""",
        f"""account_raw(v) AS CASE WHEN v IS NULL OR v = -1 THEN NULL WHEN v < 0 THEN sp(v)
            ELSE 'U' || lpad(CAST((v * 16807 + {424242 + seed % 1000}) % 1000000000 AS VARCHAR), 9, '0') END""",
        "padded(x, p) AS CASE WHEN p = 1 THEN ' ' || x || ' ' ELSE x END",
        # any identifier by type code (privacy requests, touches)
        f"""ident_raw(k, v, sh) AS CASE k
            WHEN {I.MEMBER} THEN member_raw(v) WHEN {I.CARD} THEN card_raw(v)
            WHEN {I.ACCOUNT} THEN account_raw(v) WHEN {I.PHONE} THEN phone_raw(v, sh)
            WHEN {I.EMAIL} THEN email_raw(v, sh % 4) WHEN {I.DEVICE} THEN device_raw(v)
            WHEN {I.ANON} THEN anon_raw(v) WHEN {I.OPENID} THEN openid_raw(v)
            ELSE unionid_raw(v) END""",
        f"""ident_canon(k, v) AS CASE k
            WHEN {I.MEMBER} THEN member_raw(v) WHEN {I.CARD} THEN card_raw(v)
            WHEN {I.ACCOUNT} THEN account_raw(v) WHEN {I.PHONE} THEN CAST(v AS VARCHAR)
            WHEN {I.EMAIL} THEN email_canon(v) WHEN {I.DEVICE} THEN device_canon(v)
            WHEN {I.ANON} THEN anon_canon(v) WHEN {I.OPENID} THEN openid_raw(v)
            ELSE unionid_raw(v) END""",
        "key_raw(prefix, v, jk, jv) AS CASE WHEN jk = 3 THEN (CASE WHEN jv % 2 = 0 THEN NULL ELSE '' END) "
        "ELSE prefix || lpad(CAST(v AS VARCHAR), 10, '0') END",
        f"full_name(s, g) AS {sur_zh}[s + 1] || {giv_zh}[g + 1]",
        f"given_py(g) AS {giv_py}[g + 1]",
        f"surname_py(s) AS {sur_py}[s + 1]",
        f"given_zh(g) AS {giv_zh}[g + 1]",
        f"city_name(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(C.CITY_NAMES)}[c + 1] END",
        f"l1_name(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(C.CATEGORY_L1)}[c + 1] END",
        "sku_raw(v) AS CASE WHEN v < 0 THEN NULL ELSE 'SKU' || lpad(CAST(v AS VARCHAR), 6, '0') END",
    ]
    l2 = [c for children in C.CATEGORIES.values() for c in children]
    macros.append(f"l2_name(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(l2)}[c + 1] END")
    for name, enum in (
        ("gender", V.GENDER), ("regch", V.REGISTER_CHANNEL), ("status", V.ORDER_STATUS),
        ("oplat", V.ORDER_PLATFORM), ("eplat", V.EVENT_PLATFORM), ("ename", V.EVENT_NAME),
        ("tchan", V.TICKET_CHANNEL), ("tcat", V.TICKET_CATEGORY), ("cchan", V.TOUCH_CHANNEL),
        ("rtype", V.RECIPIENT_TYPE), ("grp", V.ASSIGNED_GROUP), ("objective", V.OBJECTIVE),
        ("payment", V.PAYMENT), ("reqtype", V.REQUEST_TYPE), ("idtype", V.ID_TYPE),
        ("ageband", V.AGE_BAND), ("income", V.INCOME_BAND), ("subscribed", V.SUBSCRIBED),
    ):
        macros.append(f"e_{name}(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(enum.spellings)}[c + 1] END")
    terms = [t for v in C.SEARCH_TERMS.values() for t in v]
    macros += [
        f"search_term(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(terms)}[c + 1] END",
        f"content_type(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(C.CONTENT_TYPES)}[c + 1] END",
        f"utm_source(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(u[0] for u in C.UTM)}[c + 1] END",
        f"utm_medium(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(u[1] for u in C.UTM)}[c + 1] END",
        f"coupon(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(c[0] for c in C.COUPONS)}[c + 1] END",
        f"comment(c) AS CASE WHEN c < 0 THEN NULL ELSE {_list(C.TICKET_COMMENTS)}[c + 1] END",
    ]
    for m in macros:
        con.execute("CREATE OR REPLACE MACRO " + m)


def _ts(col: str, sh: str, idx: int) -> str:
    """A timestamp column that may be unparseable junk (`_jcol` = idx)."""
    return f"CASE WHEN _junk = {TS} AND _jcol = {idx} THEN junk_ts(_jv) ELSE ts_raw({col}, {sh}) END"


def _amount(col: str, sh: str, idx: int) -> str:
    return (f"CASE WHEN _junk = {BAD_AMOUNT} AND _jcol = {idx} THEN junk_amount(_jv) "
            f"WHEN _junk = {ABSURD} AND _jcol = {idx} THEN absurd_amount(_jv) ELSE amount_raw({col}, {sh}) END")


def _key(prefix: str, col: str) -> str:
    return f"key_raw('{prefix}', {col}, _junk, _jv)"


def _idkey(fn: str, col: str, pad: str = "0") -> str:
    return f"CASE WHEN _junk = {MISSING} THEN (CASE WHEN _jv % 2 = 0 THEN NULL ELSE '' END) ELSE padded({fn}({col}), {pad}) END"


def select_sql(table: str, world) -> dict[str, str]:
    """Raw column -> SQL expression over the internal columns of a table."""
    mini, oa = world.mini_app_id, world.oa_app_id
    if table == "crm_members":
        return {
            "member_id": _idkey("member_raw", "member", "pad"),
            "card_no": "padded(card_raw(card), pad)",
            "full_name": "full_name(sur, giv)",
            "phone": "phone_raw(phone, phone_sh)",
            "email": "email_raw(email, email_sh)",
            "gender": "e_gender(gender)",
            "birth_date": "CASE WHEN birth < -100000 THEN NULL WHEN birth_sh = 0 "
                          "THEN strftime(DATE '1970-01-01' + CAST(birth AS INTEGER), '%Y-%m-%d') WHEN birth_sh = 1 "
                          "THEN strftime(DATE '1970-01-01' + CAST(birth AS INTEGER), '%Y/%m/%d') "
                          "ELSE strftime(DATE '1970-01-01' + CAST(birth AS INTEGER), '%Y%m%d') END",
            "city": "city_name(city)",
            "register_channel": "e_regch(regch)",
            "registered_at": _ts("reg_ms", "reg_sh", 0),
            "updated_at": _ts("upd_ms", "upd_sh", 1),
            "unionid": "unionid_raw(unionid)",
        }
    if table == "shop_accounts":
        return {
            "account_id": _idkey("account_raw", "account", "pad"),
            "phone": "phone_raw(phone, phone_sh)",
            "email": "email_raw(email, email_sh)",
            "nickname": "CASE nick_sh WHEN 0 THEN given_py(giv) || surname_py(sur) || CAST(nick % 1000 AS VARCHAR) "
                        "WHEN 1 THEN '用户' || lpad(CAST((nick * 7 + 3) % 100000000 AS VARCHAR), 8, '0') "
                        "ELSE '小' || given_zh(giv) END",
            "created_at": _ts("created_ms", "created_sh", 0),
            "updated_at": _ts("upd_ms", "upd_sh", 1),
        }
    if table == "shop_orders":
        return {
            "order_id": _key("SO", "\"order\""),
            "account_id": "account_raw(account)",
            "order_ts": _ts("order_ms", "order_sh", 0),
            "status": "e_status(status)",
            "platform": "e_oplat(platform)",
            "total_amount": _amount("total", "amt_sh", 0),
            "discount_amount": _amount("discount", "amt_sh", 1),
            "coupon_code": "coupon(coupon)",
            "ship_city": "city_name(ship_city)",
            "ship_phone": "phone_raw(ship_phone, ship_phone_sh)",
            "updated_at": _ts("upd_ms", "upd_sh", 1),
        }
    if table in ("shop_order_items", "pos_lines"):
        key = ("order_id", _key("SO", "\"order\"")) if table == "shop_order_items" else ("txn_id", _key("TX", "txn"))
        return {
            key[0]: key[1],
            "line_no": "CAST(line_no AS VARCHAR)",
            "sku": "sku_raw(sku)",
            "category_l1": "l1_name(l1)",
            "category_l2": "l2_name(l2)",
            "unit_price": _amount("price", "amt_sh", 0),
            "quantity": "CAST(qty AS VARCHAR)",
        }
    if table == "app_events":  # the other columns are dictionary-encoded: see EventWriter
        return {
            "event_id": f"CASE WHEN _junk = {MISSING} THEN (CASE WHEN _jv % 2 = 0 THEN NULL ELSE '' END) "
                        "ELSE printf('%016x', event) END",
            "event_ts": _ts("ts_ms", "ts_sh", 0),
            "received_at": _ts("rcv_ms", "rcv_sh", 1),
        }
    if table == "wechat_users":
        return {
            "openid": _idkey("openid_raw", "openid"),
            "unionid": "unionid_raw(unionid)",
            "app_id": f"CASE app WHEN 0 THEN '{mini}' ELSE '{oa}' END",
            "phone": "phone_raw(phone, phone_sh)",
            "subscribed": "e_subscribed(subscribed)",
            "first_seen_at": _ts("first_ms", "first_sh", 0),
            "updated_at": _ts("upd_ms", "upd_sh", 1),
        }
    if table == "pos_transactions":
        return {
            "txn_id": _key("TX", "txn"),
            "store_id": "'S' || lpad(CAST(store + 1 AS VARCHAR), 4, '0')",
            "store_city": f"city_name([{', '.join(str(int(c)) for c in world.store_city)}][store + 1])",
            "member_card_no": "card_raw(card)",
            "phone": "phone_raw(phone, phone_sh)",
            "txn_ts": _ts("txn_ms", "txn_sh", 0),
            "total_amount": _amount("total", "amt_sh", 0),
            "payment_method": "e_payment(payment)",
        }
    if table == "service_tickets":
        return {
            "ticket_id": _key("TK", "ticket"),
            "created_at": _ts("created_ms", "created_sh", 0),
            "resolved_at": "ts_raw(resolved_ms, resolved_sh)",
            "channel": "e_tchan(channel)",
            "contact_phone": "phone_raw(phone, phone_sh)",
            "contact_email": "email_raw(email, email_sh)",
            "account_id": "account_raw(account)",
            "category": "e_tcat(category)",
            "satisfaction": "CASE WHEN satisfaction < 0 THEN NULL ELSE CAST(satisfaction AS VARCHAR) END",
            "comment": "comment(comment)",
            "updated_at": _ts("upd_ms", "upd_sh", 1),
        }
    if table == "campaigns":
        return {
            "campaign_id": "'CMP' || lpad(CAST(campaign + 1 AS VARCHAR), 3, '0')",
            "name": "name",
            "objective": "e_objective(objective)",
            "channel": "e_cchan(channel)",
            "start_at": "ts_raw(start_ms, 0)",
            "end_at": "ts_raw(end_ms, 0)",
        }
    if table == "campaign_touches":
        return {
            "touch_id": _key("CT", "touch"),
            "campaign_id": "'CMP' || lpad(CAST(campaign + 1 AS VARCHAR), 3, '0')",
            "channel": "e_cchan(channel)",
            "recipient_type": "e_rtype(rtype)",
            "recipient": "ident_raw(rkind, rval, rshape)",
            "assigned_group": "e_grp(\"group\")",
            "sent_at": _ts("sent_ms", "ts_sh", 0),
            "opened_at": "ts_raw(opened_ms, ts_sh)",
            "clicked_at": "ts_raw(clicked_ms, ts_sh)",
        }
    if table == "survey_responses":
        return {
            "response_id": _key("SR", "response"),
            "submitted_at": _ts("sub_ms", "sub_sh", 0),
            "phone": "phone_raw(phone, phone_sh)",
            "email": "email_raw(email, email_sh)",
            "nps": "CAST(nps AS VARCHAR)",
            "interests": "concat_ws(';', l1_name(i1), l1_name(i2), l1_name(i3))",
            "age_band": "e_ageband(age)",
            "income_band": "e_income(income)",
        }
    if table == "privacy_requests":
        return {
            "request_id": _key("PR", "request"),
            "identifier_type": "e_idtype(idtype)",
            "identifier": "ident_raw(ikind, ivalue, ishape)",
            "request_type": "e_reqtype(rtype)",
            "requested_at": _ts("req_ms", "req_sh", 0),
        }
    raise KeyError(table)


#: SQL of the business key as written, per table (for truth/junk.parquet).
def key_sql(table: str, world) -> str:
    cols = select_sql(table, world)
    first = next(iter(cols))
    return cols[first]


def fresh(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous string array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


class EventWriter:
    """Writes app_events fast: per-row text only for ids and timestamps (DuckDB); every other
    column is an Arrow dictionary array over per-chunk strings (clients, persons, sessions)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, world):
        self.con = con
        self.world = world
        nsku = len(world.sku_price)
        terms = [t for v in C.SEARCH_TERMS.values() for t in v]
        self.sku = pa.array([f"SKU{i:06d}" for i in range(nsku)])
        pages = [f"/item/SKU{i:06d}" for i in range(nsku)]
        pages += [f"/search?q={t}" for t in terms]
        pages += [f"/content/{i}" for i in range(1000)]
        pages += ["/login", "/checkout", "/"]
        self.pages = pa.array(pages)
        self.n_sku, self.n_terms = nsku, len(terms)
        self.dicts = {
            "event_name": pa.array(V.EVENT_NAME.spellings), "platform": pa.array(V.EVENT_PLATFORM.spellings),
            "category_l1": pa.array(C.CATEGORY_L1), "content_type": pa.array(C.CONTENT_TYPES),
            "search_term": pa.array(terms), "utm_source": pa.array([u[0] for u in C.UTM]),
            "utm_medium": pa.array([u[1] for u in C.UTM]),
        }

    def prepare(self, cd) -> None:
        """Render the per-client and per-person strings of one chunk."""
        P, cl = cd.persons, cd.clients
        ctab = pa.table({
            "device": np.where(cl.zero_device, I.ZERO_DEVICE, cl.device),
            "anon": cl.anon,
            "openid": np.where(cl.kind == 3, P.pid[cl.person] * 2, -1),
        })
        self.con.register("clients", ctab)
        # NULLs become '' inside dictionaries (arrow cannot write NULL dictionary entries): the
        # rows that would point at them carry a NULL index instead
        self.client = self.con.sql(
            "SELECT coalesce(device_raw(device), '') AS d, anon_raw(anon) AS a, "
            "coalesce(openid_raw(openid), '') AS o FROM clients"
        ).to_arrow_table()
        self.client = {c: fresh(self.client[c]) for c in ("d", "a", "o")}
        self.con.unregister("clients")
        self.con.register("people", pa.table({"v": P.pid}))
        self.account = fresh(self.con.sql("SELECT account_raw(v) AS a FROM people").to_arrow_table()["a"])
        self.con.unregister("people")
        self.lo = P.lo
        self.chunk_salt = np.int64(cd.chunk) << 40

    @staticmethod
    def _dict(indices: np.ndarray, dictionary: pa.Array, mask: np.ndarray | None = None) -> pa.Array:
        """Plain strings looked up from a small dictionary (the Parquet writer re-encodes them:
        handing it Arrow dictionary arrays gave files whose bytes varied between runs)."""
        return pc.take(dictionary, pa.array(indices.astype(np.int32), mask=mask))

    def table(self, t: dict, idx: np.ndarray, sql: dict[str, str]) -> pa.Table:
        cols = ["event", "ts_ms", "ts_sh", "rcv_ms", "rcv_sh", "_junk", "_jcol", "_jv"]
        self.con.register("src", pa.table({c: t[c][idx] for c in cols}))
        try:
            head = self.con.sql(
                f"SELECT {sql['event_id']} AS event_id, {sql['event_ts']} AS event_ts, "
                f"{sql['received_at']} AS received_at FROM src").to_arrow_table()
        finally:
            self.con.unregister("src")
        g = {c: t[c][idx] for c in ("_cl", "device", "openid", "account", "name", "platform", "sku", "l1",
                                    "ctype", "term", "utm", "content", "ckind", "_sess")}
        cl = g["_cl"]
        sess, inv = np.unique(g["_sess"], return_inverse=True)
        ids = splitmix64(sess + self.chunk_salt + np.int64(self.world.seed) * 7919)
        self.con.register("sess", pa.table({"s": ids}))
        props = fresh(self.con.sql(
            """SELECT '{"session_id":"' || printf('%016x', s) || '"}' AS p FROM sess""").to_arrow_table()["p"])
        self.con.unregister("sess")
        web = g["ckind"] >= 2
        page = np.select(
            [g["sku"] >= 0, g["term"] >= 0, g["content"] >= 0, np.isin(g["name"], [8, 9]), g["name"] == 10],
            [g["sku"], self.n_sku + g["term"], self.n_sku + self.n_terms + g["content"],
             self.n_sku + self.n_terms + 1000, self.n_sku + self.n_terms + 1001],
            self.n_sku + self.n_terms + 1002,
        )
        d = self.dicts
        out = {
            "event_id": fresh(head["event_id"]), "event_ts": fresh(head["event_ts"]),
            "received_at": fresh(head["received_at"]),
            "event_name": self._dict(g["name"], d["event_name"]),
            "platform": self._dict(g["platform"], d["platform"]),
            "device_id": self._dict(cl, self.client["d"], g["device"] == -1),
            "anonymous_id": self._dict(cl, self.client["a"]),
            "account_id": self._dict(np.maximum(g["account"] - self.lo, 0), self.account, g["account"] < 0),
            "openid": self._dict(cl, self.client["o"], g["openid"] < 0),
            "sku": self._dict(np.maximum(g["sku"], 0), self.sku, g["sku"] < 0),
            "category_l1": self._dict(np.maximum(g["l1"], 0), d["category_l1"], g["l1"] < 0),
            "content_type": self._dict(np.maximum(g["ctype"], 0), d["content_type"], g["ctype"] < 0),
            "search_term": self._dict(np.maximum(g["term"], 0), d["search_term"], g["term"] < 0),
            "utm_source": self._dict(np.maximum(g["utm"], 0), d["utm_source"], g["utm"] < 0),
            "utm_medium": self._dict(np.maximum(g["utm"], 0), d["utm_medium"], g["utm"] < 0),
            "page_url": self._dict(page, self.pages, ~web),
            "properties": self._dict(inv, props),
        }
        return pa.table(out)
