"""Dirt: junk rows of every kind (listed in truth/junk.parquet) and duplicate event delivery.

Junk codes are 1 + the index in `contract.JUNK_REASONS`. Non-versioned tables turn
existing rows into junk; versioned tables get an extra, corrupted version of a key
(a re-export glitch), so the previous valid version still stands.
"""

from __future__ import annotations

import numpy as np

from . import config as C
from . import vocab as V
from .contract import JUNK_REASONS
from .util import NULL_MS, take

TS, FUTURE, MISSING, BAD_AMOUNT, ABSURD, ENUM, ORPHAN = range(1, 8)
assert JUNK_REASONS[ORPHAN - 1] == "orphan_line" and JUNK_REASONS[TS - 1] == "unparseable_timestamp"

#: per table: junk rate, kinds (weights), timestamp columns, the event-time column that
#: a future_timestamp moves (and whether the table has its own arrival column),
#: amount columns, enum columns, key column.
SPEC: dict[str, dict] = {
    "crm_members": dict(rate=0.008, kinds={TS: 1, FUTURE: 1, MISSING: 1, ENUM: 1}, ts=["reg_ms", "upd_ms"],
                        future="reg_ms", arrival=True, amounts=[], enums={"gender": V.GENDER, "regch": V.REGISTER_CHANNEL}),
    "shop_accounts": dict(rate=0.008, kinds={TS: 1, FUTURE: 1, MISSING: 1}, ts=["created_ms", "upd_ms"],
                          future="created_ms", arrival=True, amounts=[], enums={}),
    "shop_orders": dict(rate=0.006, kinds={TS: 1, FUTURE: 1, MISSING: 1, BAD_AMOUNT: 1, ABSURD: 1, ENUM: 1},
                        ts=["order_ms", "upd_ms"], future="order_ms", arrival=True, amounts=["total", "discount"],
                        enums={"status": V.ORDER_STATUS, "platform": V.ORDER_PLATFORM}),
    "shop_order_items": dict(rate=0.005, kinds={MISSING: 1, BAD_AMOUNT: 1, ABSURD: 1, ORPHAN: 2}, ts=[],
                             future=None, arrival=False, amounts=["price"], enums={}),
    "app_events": dict(rate=0.0045, kinds={TS: 1, FUTURE: 1, MISSING: 1, ENUM: 1}, ts=["ts_ms", "rcv_ms"],
                       future="ts_ms", arrival=True, amounts=[],
                       enums={"name": V.EVENT_NAME, "platform": V.EVENT_PLATFORM}),
    "wechat_users": dict(rate=0.008, kinds={TS: 1, FUTURE: 1, MISSING: 1}, ts=["first_ms", "upd_ms"],
                         future="first_ms", arrival=True, amounts=[], enums={}),
    "pos_transactions": dict(rate=0.007, kinds={TS: 1, FUTURE: 1, MISSING: 1, BAD_AMOUNT: 1, ABSURD: 1, ENUM: 1},
                             ts=["txn_ms"], future="txn_ms", arrival=False, amounts=["total"],
                             enums={"payment": V.PAYMENT}),
    "pos_lines": dict(rate=0.004, kinds={MISSING: 1, BAD_AMOUNT: 1, ABSURD: 1, ORPHAN: 1}, ts=[], future=None,
                      arrival=False, amounts=["price"], enums={}),
    "service_tickets": dict(rate=0.008, kinds={TS: 1, FUTURE: 1, MISSING: 1, ENUM: 1}, ts=["created_ms", "upd_ms"],
                            future="created_ms", arrival=True, amounts=[],
                            enums={"channel": V.TICKET_CHANNEL, "category": V.TICKET_CATEGORY}),
    "campaign_touches": dict(rate=0.006, kinds={TS: 1, FUTURE: 1, MISSING: 1, ENUM: 1}, ts=["sent_ms"],
                             future="sent_ms", arrival=False, amounts=[],
                             enums={"channel": V.TOUCH_CHANNEL, "group": V.ASSIGNED_GROUP}),
    "survey_responses": dict(rate=0.008, kinds={TS: 1, FUTURE: 1, MISSING: 1, ENUM: 1}, ts=["sub_ms"],
                             future="sub_ms", arrival=False, amounts=[],
                             enums={"age": V.AGE_BAND, "income": V.INCOME_BAND}),
    "privacy_requests": dict(rate=0.01, kinds={TS: 1, FUTURE: 1, MISSING: 1, ENUM: 1}, ts=["req_ms"],
                             future="req_ms", arrival=False, amounts=[],
                             enums={"rtype": V.REQUEST_TYPE, "idtype": V.ID_TYPE}),
}
VERSIONED = {"crm_members", "shop_accounts", "shop_orders", "wechat_users", "service_tickets"}
KEY_COL = {
    "crm_members": "member", "shop_accounts": "account", "shop_orders": "order", "shop_order_items": "order",
    "app_events": "event", "wechat_users": "openid", "pos_transactions": "txn", "pos_lines": "txn",
    "service_tickets": "ticket", "campaign_touches": "touch", "survey_responses": "response",
    "privacy_requests": "request",
}


def _init(t: dict) -> dict:
    n = len(t[next(iter(t))])
    t.setdefault("_junk", np.zeros(n, np.int8))
    t.setdefault("_jcol", np.zeros(n, np.int8))
    t.setdefault("_jv", np.zeros(n, np.int8))
    return t


def inject(rng: np.random.Generator, name: str, t: dict, orphan_base: int) -> dict:
    """Add junk to one table (returns the new table)."""
    spec = SPEC[name]
    t = _init(t)
    n = len(t["_junk"])
    if n == 0:
        return t
    kinds = np.array(list(spec["kinds"]))
    w = np.array(list(spec["kinds"].values()), dtype=float)
    # only rows that arrive by the as-of date can ever be delivered: pick junk among them
    pool = np.flatnonzero((t["_arr"] < (C.AS_OF_DAY + 1) * C.DAY_MS) & (t["_junk"] == 0))
    if name == "campaign_touches":
        pool = pool[t["sent_ms"][pool] != NULL_MS]
    k = min(rng.binomial(len(pool), spec["rate"]), len(pool))
    if k == 0:
        return t
    rows = np.sort(rng.choice(pool, k, replace=False))
    kind = kinds[rng.choice(len(kinds), k, p=w / w.sum())]
    if name in VERSIONED:
        # an extra, corrupted version after the one it copies
        extra = take(t, rows)
        shift = (rng.uniform(1, 240, k) * C.HOUR_MS).astype(np.int64)
        extra["upd_ms"] = extra["upd_ms"] + shift
        extra["_arr"] = extra["upd_ms"].copy()
        t = {c: np.concatenate([t[c], extra[c]]) for c in t}
        rows = n + np.arange(k)
    t["_junk"][rows] = kind
    t["_jv"][rows] = rng.integers(0, 120, k)
    for code in np.unique(kind):
        r = rows[kind == code]
        m = len(r)
        if code == TS:
            t["_jcol"][r] = rng.integers(0, len(spec["ts"]), m)
        elif code == FUTURE:
            col = spec["future"]
            t[col] = t[col].copy()  # may share memory with the arrival column
            if spec["arrival"]:
                t[col][r] = t["_arr"][r] + (rng.uniform(2, 400, m) * C.DAY_MS).astype(np.int64)
            else:
                t[col][r] = (C.AS_OF_DAY + rng.uniform(400, 1500, m)).astype(np.int64) * C.DAY_MS + \
                    rng.integers(0, C.DAY_MS, m)
        elif code in (BAD_AMOUNT, ABSURD):
            t["_jcol"][r] = rng.integers(0, len(spec["amounts"]), m)
        elif code == ENUM:
            cols = list(spec["enums"])
            which = rng.integers(0, len(cols), m)
            for i, c in enumerate(cols):
                rr = r[which == i]
                t[c] = t[c].copy()
                t[c][rr] = spec["enums"][c].junk(rng, len(rr))
        elif code == ORPHAN:
            t[KEY_COL[name]] = t[KEY_COL[name]].copy()
            t[KEY_COL[name]][r] = orphan_base + np.arange(m)
    return t


def mark_orphans(lines: dict, parent_junk: np.ndarray) -> None:
    """Lines whose parent transaction is junk are orphans (reason orphan_line)."""
    bad = (parent_junk[lines["_parent"]] > 0) & (lines["_junk"] == 0)
    lines["_junk"][bad] = ORPHAN


def duplicate_events(rng: np.random.Generator, ev: dict, rate: float = 0.015) -> dict:
    """At-least-once delivery: ~1.5% of events arrive a second time, later."""
    n = len(ev["_junk"])
    dup = np.flatnonzero((ev["_junk"] == 0) & (rng.random(n) < rate))
    extra = take(ev, dup)
    delay = np.where(rng.random(len(dup)) < 0.2, rng.uniform(1, 2, len(dup)) * C.DAY_MS,
                     np.exp(rng.normal(np.log(600_000.0), 1.5, len(dup))))
    extra["rcv_ms"] = extra["rcv_ms"] + delay.astype(np.int64) + 1000
    extra["_arr"] = extra["rcv_ms"].copy()
    return {c: np.concatenate([ev[c], extra[c]]) for c in ev}
