"""Simulate one chunk of persons: every raw table as int64/code arrays, plus the future.

Nothing here formats text: `render.py` does that in DuckDB. Every table is a dict of
numpy arrays; columns starting with `_` are internal (arrival time, junk code, true
person) and never written to raw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config as C
from . import ids as I
from . import vocab as V
from .persons import Persons, draw_ms_of_day, draw_store_ms_of_day, make_persons
from .util import NULL_MS, categorical, choice_p, rank_in_groups, splitmix64
from .world import World, rng_for

STORE_ONLY = C.PERSONA_NAMES.index("store_only")
# shape probabilities (docs/raw_formats.md): phone shapes 0..9, email shapes 0..3
PHONE_SHAPE_P = [0.52, 0.08, 0.07, 0.06, 0.04, 0.07, 0.06, 0.03, 0.04, 0.03]
EMAIL_SHAPE_P = [0.7, 0.14, 0.1, 0.06]
# timestamp shapes: 0 iso, 1 iso T, 2 millis, 3 slashes, 4 UTC Z, 5 +08:00, 6 epoch ms, 7 epoch s
TS_P = {
    "crm": [0.6, 0.0, 0.0, 0.35, 0.0, 0.05, 0.0, 0.0],
    "shop": [0.5, 0.3, 0.15, 0.0, 0.05, 0.0, 0.0, 0.0],
    "wechat": [0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9],
    "pos": [0.4, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0],
    "service": [0.5, 0.4, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0],
    "marketing": [0.3, 0.0, 0.0, 0.0, 0.4, 0.3, 0.0, 0.0],
    "survey": [0.5, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0],
    "privacy": [0.3, 0.0, 0.0, 0.0, 0.2, 0.5, 0.0, 0.0],
}


def ts_shape(rng: np.random.Generator, n: int, table: str) -> np.ndarray:
    return choice_p(rng, n, TS_P[table]).astype(np.int8)


def phone_shape(rng: np.random.Generator, n: int) -> np.ndarray:
    return choice_p(rng, n, PHONE_SHAPE_P).astype(np.int8)


def email_shape(rng: np.random.Generator, n: int) -> np.ndarray:
    return choice_p(rng, n, EMAIL_SHAPE_P).astype(np.int8)


def day_ms(day: np.ndarray) -> np.ndarray:
    """Fractional day -> int64 milliseconds since 2024-01-01 00:00 local."""
    return np.round(np.asarray(day) * C.DAY_MS).astype(np.int64)


@dataclass
class Membership:
    reg: np.ndarray  # registration day (inf: not a member)
    dup_reg: np.ndarray  # day of the duplicate registration (inf: none)


@dataclass
class Clients:
    """Apps, browsers and mini-program instances a person browses with."""

    person: np.ndarray  # local person index
    kind: np.ndarray  # 0 ios, 1 android, 2 web, 3 miniprogram
    device: np.ndarray  # device value or -1
    anon: np.ndarray
    start: np.ndarray  # day
    end: np.ndarray
    login: np.ndarray  # first login day (inf: never)
    weight: np.ndarray
    shared: np.ndarray  # family tablet (two persons use it)
    primary: np.ndarray  # first device client of the person
    zero_device: np.ndarray  # tracking disabled: the SDK sends an all-zero device id


@dataclass
class ChunkData:
    persons: Persons
    membership: Membership
    tables: dict[str, dict[str, np.ndarray]]
    future: dict[str, np.ndarray]
    uplift: dict[str, np.ndarray]
    shared_nodes: np.ndarray  # identity nodes shared by two persons (family tablets)
    shared_owner: np.ndarray  # household id of each shared node
    clients: Clients
    chunk: int


# ---------------------------------------------------------------------------------------
def make_membership(rng: np.random.Generator, P: Persons) -> Membership:
    n = P.n
    reg = np.where(
        P.persona == STORE_ONLY, np.maximum(P.start, -C.PRE_HISTORY_DAYS),
        P.start + rng.exponential(60.0, n),
    )
    reg = np.where(P.is_member, reg, np.inf)
    dup = P.is_member & (rng.random(n) < 0.055) & (reg + 30 < C.AS_OF_DAY)
    lo = np.maximum(reg + 30, 0.0)
    dup_reg = np.where(dup, lo + rng.random(n) * np.maximum(C.AS_OF_DAY - 1 - lo, 1.0), np.inf)
    return Membership(reg=reg, dup_reg=dup_reg)


def make_clients(rng: np.random.Generator, P: Persons) -> Clients:
    dig = np.flatnonzero(P.is_digital)
    m = len(dig)
    nd = 1 + (rng.random(m) < 0.44) + (rng.random(m) < 0.13)
    person = np.repeat(dig, nd)
    j = rank_in_groups(nd)
    k = len(person)
    s0 = P.start[person]
    acct = P.has_account[person]
    first_ios = rng.random(m) < np.where(C.CITY_TIER[P.city[dig]] == 1, 0.55, 0.38)
    ios0 = np.repeat(first_ios, nd)
    u = rng.random(k)
    kind = np.where(
        j == 0, np.where(ios0, 0, 1),
        np.where(j == 1, np.where(u < 0.55, 2, np.where(rng.random(k) < 0.7, np.where(ios0, 0, 1), np.where(ios0, 1, 0))),
                 np.where(u < 0.5, 2, 0)),
    ).astype(np.int8)
    gap = np.where(rng.random(k) < 0.25, 0.0, rng.exponential(6.0, k))
    lo = np.maximum(s0, 0.0)
    later = lo + rng.random(k) * np.maximum(C.AS_OF_DAY - 20 - lo, 1.0)
    start = np.where(j == 0, s0 - np.where(acct, gap, 0.0), later)
    end = np.full(k, np.inf)
    # a second phone replaces the first one
    repl = (j == 1) & (kind != 2)
    prev = np.flatnonzero(repl) - 1
    end[prev] = start[repl] + rng.uniform(0, 20, len(prev))
    login = np.where(j == 0, s0, start + np.where(rng.random(k) < 0.2, 0.0, rng.exponential(5.0, k)))
    never = (~acct) | ((j > 0) & (rng.random(k) < 0.12))
    login = np.where(never, np.inf, login)
    device = P.pid[person] * 8 + j
    weight = np.where(kind == 2, 0.5, 1.0)
    primary = j == 0

    # mini-program clients
    mini = np.flatnonzero(P.is_digital & P.is_wechat & ((P.channel[:, 2] > 0.15) | (rng.random(P.n) < 0.3)))
    mm = len(mini)
    m_start = np.maximum(P.start[mini], -30.0) + rng.exponential(40.0, mm)
    m_login = np.where(
        P.has_account[mini], m_start + np.where(rng.random(mm) < 0.4, 0.0, rng.exponential(4.0, mm)), np.inf
    )
    # family tablets: pairs of account holders in this chunk share one iPad
    elig = np.flatnonzero(P.is_digital & P.has_account & (P.start < C.AS_OF_DAY - 150))
    n_pairs = int(round(0.016 * P.n))
    n_pairs = min(n_pairs, len(elig) // 2)
    pick = rng.permutation(elig)[: 2 * n_pairs].reshape(-1, 2)
    pick.sort(axis=1)
    a, b = pick[:, 0], pick[:, 1]
    t_start = np.maximum(np.maximum(P.start[a], P.start[b]), 0.0) + rng.uniform(0, 90, n_pairs)
    t_person = pick.ravel()
    t_start2 = np.repeat(t_start, 2)
    t_login = t_start2 + np.where(rng.random(2 * n_pairs) < 0.3, 0.0, rng.exponential(10.0, 2 * n_pairs))
    t_device = np.repeat(P.pid[a] * 8 + 7, 2)

    cl = Clients(
        person=np.concatenate([person, mini, t_person]),
        kind=np.concatenate([kind, np.full(mm, 3, np.int8), np.zeros(2 * n_pairs, np.int8)]),
        device=np.concatenate([device, np.full(mm, -1, np.int64), t_device]),
        anon=np.concatenate([device, P.pid[mini] * 8 + 3, t_device]),
        start=np.concatenate([start, m_start, t_start2]),
        end=np.concatenate([end, np.full(mm, np.inf), np.full(2 * n_pairs, np.inf)]),
        login=np.concatenate([login, m_login, t_login]),
        weight=np.concatenate([weight, 0.3 + 2.0 * P.channel[mini, 2], np.full(2 * n_pairs, 0.35)]),
        shared=np.concatenate([np.zeros(k + mm, bool), np.ones(2 * n_pairs, bool)]),
        primary=np.concatenate([primary, np.zeros(mm + 2 * n_pairs, bool)]),
        zero_device=np.zeros(k + mm + 2 * n_pairs, bool),
    )
    cl.zero_device[: k] = (kind != 2) & (rng.random(k) < 0.01)
    return cl


# ---------------------------------------------------------------------------------------
def make_lines(world: World, rng: np.random.Generator, P: Persons, basket_person: np.ndarray,
               n_lines: np.ndarray) -> dict[str, np.ndarray]:
    """Basket lines: category by the person's preference, SKU by their price level."""
    basket = np.repeat(np.arange(len(basket_person)), n_lines)
    lp = basket_person[basket]
    line_no = rank_in_groups(n_lines) + 1
    l1 = categorical(rng, P.cat_cdf[lp])
    l2 = world.l2_of_l1_start[l1] + np.floor(rng.random(len(lp)) * world.l2_count[l1]).astype(np.int64)
    q = np.clip(P.price_q[lp] + rng.normal(0, 0.15, len(lp)), 0, 0.999)
    sku = l2 * C.SKUS_PER_L2 + (q * C.SKUS_PER_L2).astype(np.int64)
    price = world.sku_price[sku]
    extra = np.where(l1 == C.CATEGORY_L1.index("food"), 0.5, 0.15)
    qty = 1 + rng.poisson(extra)
    return {"basket": basket, "line_no": line_no, "sku": sku, "l1": l1.astype(np.int16),
            "l2": l2.astype(np.int16), "price": price, "qty": qty.astype(np.int64)}


def sample_purchases(world: World, rng: np.random.Generator, P: Persons):
    """Baseline purchase times: Poisson while alive, seasonal by persona (Pareto/NBD-like)."""
    alive_s = np.maximum(P.start, 0.0)
    alive_e = np.minimum(P.death, float(C.N_DAYS))
    on_rate = P.rate * P.channel[:, :3].sum(1)
    st_rate = P.rate * P.channel[:, 3]
    seg_o, d_o = world.online_curve.sample(rng, P.persona.astype(np.int64), alive_s, alive_e, on_rate)
    seg_s, d_s = world.store_curve.sample(rng, P.persona.astype(np.int64), alive_s, alive_e, st_rate)
    t_o = np.floor(d_o).astype(np.int64) * C.DAY_MS + draw_ms_of_day(world, rng, P, seg_o)
    t_s = np.floor(d_s).astype(np.int64) * C.DAY_MS + draw_store_ms_of_day(world, rng, len(seg_s))
    return seg_o, t_o, d_o, seg_s, t_s, d_s


def purchase_mass(world: World, P: Persons, who: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Expected baseline purchases (online + store) of persons `who` on the days [a, b).

    The same intensity `sample_purchases` draws from: rate x the persona's daily curve while
    alive, so P(no baseline purchase on [a, b)) = exp(-mass).
    """
    k = P.persona[who].astype(np.int64)
    lo = np.maximum(a, np.maximum(P.start[who], 0.0))
    hi = np.minimum(b, np.minimum(P.death[who], float(C.N_DAYS)))
    on = world.online_curve.at(k, hi) - world.online_curve.at(k, lo)
    st = world.store_curve.at(k, hi) - world.store_curve.at(k, lo)
    rate = P.rate[who]
    mass = rate * P.channel[who, :3].sum(1) * on + rate * P.channel[who, 3] * st
    return np.where(hi > lo, np.maximum(mass, 0.0), 0.0)


def suppressed(touches, seg: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Baseline purchases a campaign put off: latent day in [sent, window end) of a `quiet` touch."""
    out = np.zeros(len(seg), bool)
    if touches is None or not touches["quiet"].any():
        return out
    q = np.flatnonzero(touches["quiet"])
    span = 10_000.0  # > any day index: keys of different persons never mix
    start = touches["local"][q] * span + touches["sent_day"][q]
    order = np.argsort(start, kind="stable")
    start = start[order]
    end = (touches["local"][q] * span + touches["window_end"][q])[order]
    key = seg * span + d
    i = np.searchsorted(start, key, side="right") - 1
    # windows of one person never overlap (campaign start dates are CAMPAIGN_GAP_DAYS apart)
    out = (i >= 0) & (key < end[np.maximum(i, 0)])
    return out


# ---------------------------------------------------------------------------------------
def make_touches(world: World, rng: np.random.Generator, P: Persons, cl: Clients,
                 oa_first: np.ndarray, serial0: int):
    """Campaign touches (treatment/control), the effect of each treated touch (an extra purchase
    or purchases put off) and every touched person's conversion probability in both groups."""
    cp = world.campaigns
    parts = []
    response = C.persona_array("uplift")  # (personas, touch channels)
    phone_cl = np.full(P.n, -1, dtype=np.int64)
    ph = np.flatnonzero(cl.primary)
    phone_cl[cl.person[ph]] = ph
    for j in range(cp.n):
        ch = V.TOUCH_CHANNEL.canonical[cp.channel[j]]
        start_day = cp.start_ms[j] / C.DAY_MS
        known = P.start < start_day - 7
        if ch == "sms":
            elig = known
        elif ch == "email":
            elig = known & P.has_email
        elif ch == "push":
            c_idx = phone_cl
            ok = c_idx >= 0
            elig = known & ok & (cl.login[np.maximum(c_idx, 0)] < start_day) & ~cl.zero_device[np.maximum(c_idx, 0)]
        else:
            elig = known & (oa_first < start_day)
        if V.OBJECTIVE.canonical[cp.objective[j]] == "winback":
            w = np.where(P.death < start_day, 3.0, 1.0)
        else:
            w = np.ones(P.n)
        w = w * cp.persona_weight[j, P.persona]
        p = np.clip(cp.reach[j] * w / w.mean(), 0, 0.9)
        who = np.flatnonzero(elig & (rng.random(P.n) < p))
        m = len(who)
        if m == 0:
            continue
        treat = rng.random(m) < cp.treat_share[j]
        dur = max((cp.end_ms[j] - cp.start_ms[j]) / C.DAY_MS, 0.5)
        sent = cp.start_ms[j] + (rng.random(m) * min(dur, 2.0) * C.DAY_MS).astype(np.int64)
        open_p = {"sms": 0.15, "push": 0.1, "email": 0.2, "wechat": 0.3}[ch]
        opened = treat & (rng.random(m) < open_p)
        clicked = opened & (rng.random(m) < 0.35)
        t_open = sent + (rng.exponential(3.0, m) * C.HOUR_MS).astype(np.int64)
        t_click = t_open + (rng.exponential(0.1, m) * C.HOUR_MS).astype(np.int64) + 5000
        if ch == "sms":
            rtype = np.full(m, V.RECIPIENT_TYPE.code("phone"), np.int16)
            rkind = np.full(m, I.PHONE, np.int8)
            rval = P.phone_at(who, sent / C.DAY_MS)
        elif ch == "email":
            rtype = np.full(m, V.RECIPIENT_TYPE.code("email"), np.int16)
            rkind = np.full(m, I.EMAIL, np.int8)
            rval = P.email[who]
        elif ch == "push":
            as_acct = P.has_account[who] & (rng.random(m) < 0.3)
            rtype = np.where(as_acct, V.RECIPIENT_TYPE.code("account_id"), V.RECIPIENT_TYPE.code("device_id")).astype(np.int16)
            rkind = np.where(as_acct, I.ACCOUNT, I.DEVICE).astype(np.int8)
            rval = np.where(as_acct, P.pid[who], cl.device[phone_cl[who]])
        else:
            rtype = np.full(m, V.RECIPIENT_TYPE.code("openid"), np.int16)
            rkind = np.full(m, I.OPENID, np.int8)
            rval = P.pid[who] * 2 + 1
        # treatment effect (docs/generator.md "Campaigns"): conversion = a purchase on the days
        # [w0, w1) of the campaign's attribution window, for both groups
        w0 = float(cp.window_day[j])
        w1 = w0 + C.ATTRIBUTION_DAYS
        sent_day = sent / C.DAY_MS
        tau = np.clip(response[P.persona[who], cp.channel[j]] * cp.strength[j], -C.MAX_RESPONSE, C.MAX_RESPONSE)
        active = P.death[who] > sent_day
        # > 0: one extra purchase after the send with probability e (churned persons: reactivation)
        e = np.where(tau > 0, tau * np.where(active, 1.0, cp.dormant[j]), 0.0)
        # < 0: with probability s the person makes no purchase from the send to the window's end
        s_off = np.maximum(-tau, 0.0)
        lam_before = purchase_mass(world, P, who, np.full(m, w0), np.minimum(sent_day, w1))
        lam = lam_before + purchase_mass(world, P, who, np.minimum(sent_day, w1), np.full(m, w1))
        p_control = -np.expm1(-lam)
        p_treat = np.where(
            tau > 0, 1.0 - (1.0 - p_control) * (1.0 - e),
            s_off * -np.expm1(-lam_before) + (1.0 - s_off) * p_control,
        )
        u = rng.random(m)
        extra = treat & (u < e)
        quiet = treat & (u < s_off)
        rem = w1 * C.DAY_MS - sent  # > 0: sends happen in the first two days of the window
        x = rng.exponential(4.0, m) * C.DAY_MS
        t_extra = sent + np.where(x < rem, x, rng.random(m) * rem).astype(np.int64)
        parts.append({
            "campaign": np.full(m, j, np.int16), "local": who, "treat": treat, "sent": sent,
            "opened": np.where(opened, t_open, NULL_MS), "clicked": np.where(clicked, t_click, NULL_MS),
            "rtype": rtype, "rkind": rkind, "rval": rval.astype(np.int64), "extra": extra,
            "t_extra": t_extra, "quiet": quiet, "sent_day": sent_day, "window_end": np.full(m, w1),
            "p_treat": p_treat, "p_control": p_control,
        })
    if not parts:
        return None
    t = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(t["local"])
    t["serial"] = serial0 + np.arange(n, dtype=np.int64)
    return t


# ---------------------------------------------------------------------------------------
def simulate_chunk(world: World, chunk: int) -> ChunkData:
    seed = world.seed
    rng = rng_for(seed, chunk)
    lo = chunk * C.CHUNK_PERSONS
    hi = min(world.scale.persons, lo + C.CHUNK_PERSONS)
    P = make_persons(world, rng, lo, hi)
    n = P.n
    M = make_membership(rng, P)
    cl = make_clients(rng, P)
    serial0 = chunk * 100_000_000  # chunk-unique serial numbers for business keys
    tables: dict[str, dict[str, np.ndarray]] = {}

    # --- wechat users (needed for campaign eligibility) ---------------------------------
    mini_cl = np.flatnonzero(cl.kind == 3)
    has_mini = np.zeros(n, bool)
    has_mini[cl.person[mini_cl]] = True
    mini_first = np.full(n, np.inf)
    mini_first[cl.person[mini_cl]] = cl.start[mini_cl]
    wx = np.flatnonzero(P.is_wechat)
    oa = wx[rng.random(len(wx)) < 0.6]
    oa_first = np.full(n, np.inf)
    oa_first[oa] = P.start[oa] + rng.exponential(90.0, len(oa))
    mini_only = wx[~has_mini[wx] & (rng.random(len(wx)) < 0.35)]
    mini_first[mini_only] = P.start[mini_only] + rng.exponential(60.0, len(mini_only))
    tables["wechat_users"] = make_wechat(rng, P, mini_first, oa_first)

    # --- campaigns and touches ----------------------------------------------------------
    touches = make_touches(world, rng, P, cl, oa_first, serial0)

    # --- purchases ----------------------------------------------------------------------
    seg_o, t_o, d_o, seg_s, t_s, d_s = sample_purchases(world, rng, P)
    keep_o, keep_s = ~suppressed(touches, seg_o, d_o), ~suppressed(touches, seg_s, d_s)
    seg_o, t_o, seg_s, t_s = seg_o[keep_o], t_o[keep_o], seg_s[keep_s], t_s[keep_s]
    if touches is not None and touches["extra"].any():
        e = np.flatnonzero(touches["extra"])
        who = touches["local"][e]
        store = rng.random(len(e)) < P.channel[who, 3]
        seg_o = np.concatenate([seg_o, who[~store]])
        t_o = np.concatenate([t_o, touches["t_extra"][e][~store]])
        seg_s = np.concatenate([seg_s, who[store]])
        t_s = np.concatenate([t_s, touches["t_extra"][e][store]])
    orders, items, order_meta = make_orders(world, rng, P, seg_o, t_o, serial0)
    tables["shop_orders"], tables["shop_order_items"] = orders, items
    pos, pos_lines, pos_meta = make_pos(world, rng, P, M, seg_s, t_s, serial0)
    tables["pos_transactions"], tables["pos_lines"] = pos, pos_lines

    # --- future truth and campaign uplift -------------------------------------------------
    future = future_stats(P, order_meta, pos_meta)
    uplift = uplift_stats(world, P, touches, order_meta, pos_meta)
    if touches is not None:
        tables["campaign_touches"] = touch_table(world, rng, P, touches)

    # --- events ---------------------------------------------------------------------------
    tables["app_events"] = make_events(world, rng, P, cl, order_meta, touches, chunk)

    # --- master data and the rest -------------------------------------------------------
    tables["crm_members"] = make_crm(rng, P, M, has_mini | (oa_first < np.inf))
    tables["shop_accounts"] = make_accounts(rng, P)
    tables["service_tickets"] = make_tickets(rng, P, order_meta, serial0)
    tables["survey_responses"] = make_survey(rng, P, serial0)
    tables["privacy_requests"] = make_privacy(rng, P, M, cl, mini_first, serial0, world.scale.erasure_requests)

    shared = np.flatnonzero(cl.shared)
    shared_nodes = np.unique(np.concatenate([
        I.node(I.DEVICE, cl.device[shared]), I.node(I.ANON, cl.anon[shared])]))
    shared_owner = (shared_nodes & ((np.int64(1) << I.TYPE_SHIFT) - 1)) // 8
    return ChunkData(P, M, tables, future, uplift, shared_nodes, shared_owner, cl, chunk)


# ---------------------------------------------------------------------------------------
def make_wechat(rng, P: Persons, mini_first: np.ndarray, oa_first: np.ndarray) -> dict:
    rows = []
    for app, first in ((0, mini_first), (1, oa_first)):
        who = np.flatnonzero(np.isfinite(first) & (first < C.AS_OF_DAY + 30))
        m = len(who)
        f = np.maximum(first[who], -C.PRE_HISTORY_DAYS + 1)
        union = np.where(rng.random(m) < 0.93, P.pid[who], np.where(rng.random(m) < 0.3, -3, -1))
        if app == 0:
            auth = rng.random(m) < 0.5
            t2 = f + rng.exponential(30.0, m)
            sub1 = np.full(m, -1, np.int16)
            sub2 = sub1
        else:
            auth = rng.random(m) < 0.2  # unsubscribed later
            t2 = f + rng.exponential(200.0, m)
            sub1 = V.SUBSCRIBED.spell(rng, np.zeros(m, np.int16), 0.4)
            sub2 = V.SUBSCRIBED.spell(rng, np.ones(m, np.int16), 0.4)
        base = {
            "openid": P.pid[who] * 2 + app, "unionid": union, "app": np.full(m, app, np.int8),
            "first_ms": day_ms(f), "_actor": P.pid[who],
        }
        phone1 = np.where((app == 1) & (rng.random(m) < 0.1), P.phone_at(who, f), -1)
        v1 = dict(base, phone=phone1, subscribed=sub1, upd_ms=day_ms(f) + rng.integers(0, 60_000, m))
        k = np.flatnonzero(auth)
        v2 = {c: a[k] for c, a in base.items()}
        if app == 0:
            v2["phone"] = P.phone_at(who[k], t2[k])
            v2["subscribed"] = sub2[k]
        else:
            v2["phone"] = phone1[k]
            v2["subscribed"] = sub2[k]
        v2["upd_ms"] = day_ms(t2[k])
        rows += [v1, v2]
    t = {c: np.concatenate([r[c] for r in rows]) for c in rows[0]}
    m = len(t["openid"])
    t["phone_sh"] = phone_shape(rng, m)
    t["first_sh"] = ts_shape(rng, m, "wechat")
    t["upd_sh"] = ts_shape(rng, m, "wechat")
    t["_arr"] = t["upd_ms"]
    t["_key"] = t["openid"]
    return t


def make_orders(world: World, rng, P: Persons, who: np.ndarray, t: np.ndarray, serial0: int):
    m = len(who)
    order_no = np.arange(m, dtype=np.int64)
    ch = P.channel[who, :3]
    ch = ch / np.maximum(ch.sum(1, keepdims=True), 1e-12)
    platform = categorical(rng, np.cumsum(ch, 1)).astype(np.int16)  # web/app/mini
    n_lines = 1 + rng.poisson(np.maximum(P.lines_mean[who] - 1.0, 0.0))
    L = make_lines(world, rng, P, who, n_lines)
    subtotal = np.bincount(L["basket"], L["price"] * L["qty"], minlength=m).astype(np.int64)
    day = np.clip(t // C.DAY_MS, 0, C.N_DAYS - 1)
    promo = world.promo[day]
    aff = P.discount_affinity[who]
    # platform-wide promotion discounts, deal hunting (flash sales, member prices) and coupons
    promo_disc = subtotal * promo * rng.uniform(0.10, 0.30, m)
    deal = subtotal * aff ** 2 * rng.uniform(0.05, 0.35, m) * (rng.random(m) < 0.15 + 0.75 * aff)
    c_val = np.array([c[1] for c in C.COUPONS]) * 100
    c_min = np.array([c[2] for c in C.COUPONS]) * 100
    ok = subtotal[:, None] >= c_min[None, :]
    coupon = np.argmax(np.where(ok, c_val[None, :] + rng.random((m, len(c_val))), -1.0), axis=1)
    use_coupon = ok.any(1) & (rng.random(m) < 0.03 + 0.6 * aff ** 2 * (0.5 + promo))
    discount = np.round(np.minimum(promo_disc + deal + np.where(use_coupon, c_val[coupon], 0), 0.6 * subtotal)).astype(np.int64)
    total = subtotal - discount
    # status path: paid -> shipped -> completed [-> refunded], or paid -> cancelled
    u = rng.random(m)
    cancelled = u < 0.03
    refunded = (~cancelled) & (rng.random(m) < 0.025 + 0.05 * aff)
    nver = np.where(cancelled, 2, np.where(refunded, 4, 3))
    o = np.repeat(order_no, nver)
    r = rank_in_groups(nver)
    t0 = t[o]
    ship = t + (rng.uniform(4, 48, m) * C.HOUR_MS).astype(np.int64)
    done = ship + (rng.uniform(1, 6, m) * C.DAY_MS).astype(np.int64)
    refund = done + (rng.uniform(1, 10, m) * C.DAY_MS).astype(np.int64)
    cancel = t + (rng.uniform(0.1, 24, m) * C.HOUR_MS).astype(np.int64)
    upd = np.select(
        [r == 0, cancelled[o], r == 1, r == 2], [t0, cancel[o], ship[o], done[o]], refund[o]
    ) + rng.integers(0, 120_000, len(o))
    upd[r == 0] = t0[r == 0] + rng.integers(0, 5_000, int((r == 0).sum()))
    status_code = np.select(
        [r == 0, cancelled[o], r == 1, r == 2], [0, 4, 1, 2], 3
    ).astype(np.int16)
    # gifts: the recipient's phone is someone else's (or a stranger's)
    g = rng.random(m)
    other = rng.integers(0, P.n, m)
    stranger = I.phone_from_slot(world.seed, 3 * C.MAX_PERSONS + rng.integers(0, C.MAX_PERSONS, m))
    ship_phone = np.where(g < 0.09, P.phone1[other], np.where(g < 0.13, stranger, P.phone_at(who, t / C.DAY_MS)))
    ship_city = np.where(g < 0.13, rng.integers(0, len(C.CITIES), m), P.city[who]).astype(np.int16)
    serial = serial0 + order_no
    orders = {
        "order": serial[o], "account": P.pid[who][o], "order_ms": t0,
        "order_sh": ts_shape(rng, m, "shop")[o],
        "status": V.ORDER_STATUS.spell(rng, status_code, 0.08),
        "platform": V.ORDER_PLATFORM.spell(rng, platform[o], 0.05),
        "total": total[o], "discount": discount[o], "amt_sh": choice_p(rng, m, [0.8, 0.15, 0.05])[o].astype(np.int8),
        "coupon": np.where(use_coupon, coupon, -1)[o].astype(np.int16),
        "ship_city": ship_city[o], "ship_phone": ship_phone[o], "ship_phone_sh": phone_shape(rng, m)[o],
        "upd_ms": upd, "upd_sh": ts_shape(rng, len(o), "shop"),
        "_arr": upd, "_key": serial[o], "_actor": P.pid[who][o],
    }
    items = {
        "order": serial[L["basket"]], "line_no": L["line_no"], "sku": L["sku"], "l1": L["l1"],
        "l2": L["l2"], "price": L["price"], "qty": L["qty"],
        "amt_sh": choice_p(rng, len(L["sku"]), [0.85, 0.15, 0.0]).astype(np.int8),
        # lines arrive with the order's first version (rows are laid out order by order)
        "_arr": orders["upd_ms"][r == 0][L["basket"]], "_actor": P.pid[who][L["basket"]],
    }
    final_ok = ~(cancelled | refunded)
    meta = {"local": who, "t": t, "total": total, "ok": final_ok, "platform": platform,
            "ship": ship, "done": done, "refunded": refunded, "cancelled": cancelled,
            "serial": serial, "basket_sku": L["sku"], "basket": L["basket"], "l1": L["l1"]}
    return orders, items, meta


def make_pos(world: World, rng, P: Persons, M: Membership, who: np.ndarray, t: np.ndarray, serial0: int):
    m = len(who)
    own = rng.random(m) < 0.85
    store = np.where(own, P.home_store[who], rng.integers(0, world.scale.stores, m))
    n_lines = 1 + rng.poisson(np.maximum(P.lines_mean[who] - 1.0, 0.0))
    L = make_lines(world, rng, P, who, n_lines)
    total = np.bincount(L["basket"], L["price"] * L["qty"], minlength=m).astype(np.int64)
    day = t / C.DAY_MS
    member = day >= M.reg[who]
    show = member & (rng.random(m) < 0.72)
    dup = day >= M.dup_reg[who]
    card = np.where(show, P.pid[who] * 2 + (dup & (rng.random(m) < 0.3)), -1)
    phone = np.where(rng.random(m) < np.where(member, 0.4, 0.3), P.phone_at(who, day), -1)
    # placeholder phones typed by staff, and the store's own phone on some receipts
    ph_junk = rng.random(m)
    phone = np.where(ph_junk < 0.015, I.PHONE_ZEROS, np.where(ph_junk < 0.031, 13800138000, phone))
    own_phone = world.store_types_own_phone[store] & (rng.random(m) < 0.1)
    phone = np.where(own_phone & (ph_junk >= 0.031), world.store_phone[store], phone)
    filler = (phone == -1) & (rng.random(m) < 0.02)
    phone = np.where(filler, I.GENERIC_PLACEHOLDERS[rng.integers(0, len(I.GENERIC_PLACEHOLDERS), m)], phone)
    payment = choice_p(rng, m, [0.08, 0.12, 0.45, 0.3, 0.05])
    # returns: a later negative transaction for one line of the basket
    ret = rng.random(m) < np.where(P.discount_affinity[who] > 0.5, 0.05, 0.025)
    ri = np.flatnonzero(ret)
    first_line = np.cumsum(n_lines) - n_lines
    rl = first_line[ri]
    r_qty = -np.minimum(L["qty"][rl], 1 + rng.poisson(0.2, len(ri)))
    r_t = t[ri] + (rng.uniform(1, 14, len(ri)) * C.DAY_MS).astype(np.int64)
    n_all = m + len(ri)
    serial = serial0 + 50_000_000 + np.arange(n_all, dtype=np.int64)
    txn_t = np.concatenate([t, r_t])
    actor = P.pid[np.concatenate([who, who[ri]])]
    pos = {
        "txn": serial, "store": np.concatenate([store, store[ri]]).astype(np.int16),
        "card": np.concatenate([card, card[ri]]), "phone": np.concatenate([phone, phone[ri]]),
        "phone_sh": phone_shape(rng, n_all),
        "txn_ms": txn_t, "txn_sh": ts_shape(rng, n_all, "pos"),
        "total": np.concatenate([total, L["price"][rl] * r_qty]),
        "amt_sh": choice_p(rng, n_all, [0.75, 0.1, 0.15]).astype(np.int8),
        "payment": np.concatenate([payment, payment[ri]]).astype(np.int16),
        "_arr": txn_t, "_actor": actor,
    }
    lines = {
        "txn": np.concatenate([serial[L["basket"]], serial[m:]]),
        "line_no": np.concatenate([L["line_no"], np.ones(len(ri), np.int64)]),
        "sku": np.concatenate([L["sku"], L["sku"][rl]]),
        "l1": np.concatenate([L["l1"], L["l1"][rl]]), "l2": np.concatenate([L["l2"], L["l2"][rl]]),
        "price": np.concatenate([L["price"], L["price"][rl]]),
        "qty": np.concatenate([L["qty"], r_qty]),
    }
    nl = len(lines["txn"])
    lines["amt_sh"] = choice_p(rng, nl, [0.85, 0.15, 0.0]).astype(np.int8)
    parent = np.concatenate([L["basket"], m + np.arange(len(ri))])
    lines["_arr"] = txn_t[parent]
    lines["_actor"] = actor[parent]
    lines["_parent"] = parent  # row index of the transaction (for orphan marking)
    meta = {"local": who, "t": t, "total": total}
    return pos, lines, meta


def future_stats(P: Persons, om: dict, pm: dict) -> dict:
    """Orders and spend in the 90/365 days after the as-of date (truth only)."""
    out = {"person": P.pid}
    a = C.AS_OF_DAY + 1
    for days in (90, 365):
        lo_ms, hi_ms = a * C.DAY_MS, (a + days) * C.DAY_MS
        o = om["ok"] & (om["t"] >= lo_ms) & (om["t"] < hi_ms)
        s = (pm["total"] > 0) & (pm["t"] >= lo_ms) & (pm["t"] < hi_ms)
        cnt = np.bincount(om["local"][o], minlength=P.n) + np.bincount(pm["local"][s], minlength=P.n)
        spend = np.bincount(om["local"][o], om["total"][o], minlength=P.n) + np.bincount(
            pm["local"][s], pm["total"][s], minlength=P.n)
        out[f"orders_{days}d"] = cnt.astype(np.int64)
        out[f"spend_{days}d"] = np.round(spend) / 100.0
    out["churned_90d"] = out["orders_90d"] == 0
    # history up to the as-of date, handy for evaluations
    h = C.DAY_MS * (C.AS_OF_DAY + 1)
    o = om["ok"] & (om["t"] < h)
    s = (pm["total"] > 0) & (pm["t"] < h)
    out["orders_history"] = (np.bincount(om["local"][o], minlength=P.n) + np.bincount(pm["local"][s], minlength=P.n)).astype(np.int64)
    return out


def uplift_stats(world: World, P: Persons, touches, om: dict, pm: dict) -> dict:
    """Per campaign x persona: touched persons, conversions by group (realised) and the sums of
    every touched person's conversion probabilities if treated / if control (expected)."""
    k = len(C.PERSONAS)
    nc = world.campaigns.n
    z = np.zeros((nc, k))
    out = {n: z.copy() for n in ("n_t", "n_c", "buy_t", "buy_c", "p_treat", "p_control")}
    if touches is None:
        return out
    # purchases: every online order (whatever its final status) and every store receipt with a
    # positive amount (returns are not purchases); keys person << 40 | local time in ms
    lp = np.concatenate([om["local"], pm["local"][pm["total"] > 0]]).astype(np.int64)
    tp = np.concatenate([om["t"], pm["t"][pm["total"] > 0]]).astype(np.int64)
    key = np.sort((lp << 40) + tp)
    w0 = world.campaigns.window_day[touches["campaign"]].astype(np.int64) * C.DAY_MS
    q0 = (touches["local"].astype(np.int64) << 40) + w0
    q1 = q0 + C.ATTRIBUTION_DAYS * C.DAY_MS
    bought = np.searchsorted(key, q1, side="left") > np.searchsorted(key, q0, side="left")
    per = P.persona[touches["local"]]
    cidx = touches["campaign"]
    tr = touches["treat"]
    np.add.at(out["n_t"], (cidx[tr], per[tr]), 1)
    np.add.at(out["n_c"], (cidx[~tr], per[~tr]), 1)
    np.add.at(out["buy_t"], (cidx[tr], per[tr]), bought[tr])
    np.add.at(out["buy_c"], (cidx[~tr], per[~tr]), bought[~tr])
    np.add.at(out["p_treat"], (cidx, per), touches["p_treat"])
    np.add.at(out["p_control"], (cidx, per), touches["p_control"])
    return out


def touch_table(world: World, rng, P: Persons, t: dict) -> dict:
    m = len(t["local"])
    cp = world.campaigns
    ch = cp.channel[t["campaign"]]
    sent = np.where(t["treat"], t["sent"], NULL_MS)
    return {
        "touch": t["serial"], "campaign": t["campaign"], "channel": ch.astype(np.int16),
        "rtype": t["rtype"], "rkind": t["rkind"], "rval": t["rval"], "rshape": phone_shape(rng, m),
        "group": np.where(t["treat"], 0, 1).astype(np.int16),
        "sent_ms": sent, "opened_ms": t["opened"], "clicked_ms": t["clicked"],
        "ts_sh": ts_shape(rng, m, "marketing"),
        "_arr": np.where(t["treat"], t["sent"], cp.start_ms[t["campaign"]]),
        "_actor": P.pid[t["local"]],
    }


# ---------------------------------------------------------------------------------------
def make_events(world: World, rng, P: Persons, cl: Clients, om: dict, touches, chunk: int) -> dict:
    """App/web/mini-program events: browsing sessions, purchase funnels, logins, push opens."""
    limit = float(C.AS_OF_DAY + 1)  # later events never arrive before the as-of date
    per = cl.person
    wsum = np.bincount(per, cl.weight, minlength=P.n)
    rate = P.sessions[per] * cl.weight / np.maximum(wsum[per], 1e-9)
    persona = P.persona[per].astype(np.int64)
    s = np.maximum(cl.start, 0.0)
    alive_e = np.minimum(np.minimum(cl.end, P.death[per]), limit)
    seg_a, d_a = world.browse_curve.sample(rng, persona, s, alive_e, rate)
    dead_s = np.maximum(s, P.death[per])
    seg_d, d_d = world.browse_curve.sample(rng, persona, dead_s, np.minimum(cl.end, limit), rate * 0.04)
    seg = np.concatenate([seg_a, seg_d])
    sess_t = np.floor(np.concatenate([d_a, d_d])).astype(np.int64) * C.DAY_MS + draw_ms_of_day(
        world, rng, P, per[seg])
    kind = np.zeros(len(seg), np.int8)
    # the first visit of every client, and its first login (a register for a new account)
    fv = np.flatnonzero((cl.start >= 0) & (cl.start < limit))
    lg = np.flatnonzero((cl.login >= 0) & (cl.login < limit))
    seg = np.concatenate([seg, fv, lg])
    sess_t = np.concatenate([sess_t, day_ms(cl.start[fv]), day_ms(cl.login[lg])])
    kind = np.concatenate([kind, np.full(len(fv), 1, np.int8), np.full(len(lg), 2, np.int8)])
    ns = len(seg)
    eps = C.persona_array("events_per_session")[P.persona[per[seg]]]
    n_ev = rng.geometric(1.0 / eps)
    n_ev = np.minimum(n_ev, 60)
    e_sess = np.repeat(np.arange(ns), n_ev)
    e_seq = rank_in_groups(n_ev)
    gaps = (np.exp(rng.normal(np.log(15.0), 1.0, len(e_sess))) * 1000).astype(np.int64)
    gaps[e_seq == 0] = 0
    csum = np.cumsum(gaps)
    first_idx = np.cumsum(n_ev) - n_ev
    e_t = sess_t[e_sess] + csum - csum[first_idx][e_sess]
    e_cl = seg[e_sess]
    e_local = per[e_cl]
    bm = np.array([p.browse_mix for p in C.PERSONAS])
    bcdf = np.cumsum(bm / bm.sum(1, keepdims=True), 1)
    name = categorical(rng, bcdf[P.persona[e_local]]).astype(np.int16)  # BROWSE_EVENTS == EVENT_NAME[:8]
    first = e_seq == 0
    sk = kind[e_sess]
    name[first & (sk == 0) & (cl.kind[e_cl] <= 1) & (rng.random(len(name)) < 0.04)] = V.EVENT_NAME.code("push_open")
    name[first & (sk == 0) & (rng.random(len(name)) < 0.03)] = V.EVENT_NAME.code("login")
    name[first & (sk == 1)] = V.EVENT_NAME.code("page_view")
    is_reg = first & (sk == 2) & cl.primary[e_cl] & (cl.login[e_cl] >= 0)
    name[first & (sk == 2)] = V.EVENT_NAME.code("login")
    name[is_reg] = V.EVENT_NAME.code("register")
    sess_id = np.repeat(np.arange(ns, dtype=np.int64), n_ev)
    utm = np.where(first & (cl.kind[e_cl] >= 2) & (rng.random(len(name)) < 0.35),
                   choice_p(rng, len(name), [u[2] for u in C.UTM]), -1).astype(np.int16)
    parts = [{"t": e_t, "cl": e_cl, "name": name, "seq": e_seq, "sess": sess_id, "utm": utm,
              "sku": np.full(len(name), -1, np.int64)}]

    # purchase funnels before online orders, on a logged-in client of that platform
    want = np.array([2, 0, 3])[om["platform"]]  # web -> web, app -> phone, mini -> mini
    pick = np.full((P.n, 4), -1, np.int64)
    kk = np.where(cl.kind == 1, 0, cl.kind)  # android counts as app
    order = np.argsort(cl.shared, kind="stable")[::-1]  # own clients win over tablets
    pick[per[order], kk[order]] = order
    oc = pick[om["local"], want]
    ok = (oc >= 0) & (om["t"] < limit * C.DAY_MS)
    ok[ok] &= cl.login[oc[ok]] * C.DAY_MS <= om["t"][ok]
    oi = np.flatnonzero(ok)
    if len(oi):
        nl = np.bincount(om["basket"], minlength=len(om["t"]))[oi]
        # product_view + add_to_cart per line, then checkout
        cnt = 2 * nl + 1
        ev_o = np.repeat(oi, cnt)
        r = rank_in_groups(cnt)
        line_start = (np.cumsum(np.bincount(om["basket"], minlength=len(om["t"]))) -
                      np.bincount(om["basket"], minlength=len(om["t"])))
        li = line_start[ev_o] + np.minimum(r // 2, np.repeat(nl, cnt) - 1)
        is_co = r == np.repeat(cnt - 1, cnt)
        nm = np.where(is_co, V.EVENT_NAME.code("checkout"),
                      np.where(r % 2 == 0, V.EVENT_NAME.code("product_view"), V.EVENT_NAME.code("add_to_cart")))
        back = (np.repeat(cnt, cnt) - r) * 40_000 + rng.integers(0, 20_000, len(r))
        parts.append({"t": om["t"][ev_o] - back, "cl": oc[ev_o], "name": nm.astype(np.int16), "seq": r,
                      "sess": ns + np.repeat(np.arange(len(oi), dtype=np.int64), cnt),
                      "utm": np.full(len(r), -1, np.int16),
                      "sku": np.where(is_co, -1, om["basket_sku"][li])})
    # push opens from campaign touches sent to a device
    if touches is not None:
        pushed = np.flatnonzero((touches["rkind"] == I.DEVICE) & (touches["opened"] != NULL_MS))
        if len(pushed):
            c_of = pick[touches["local"][pushed], 0]
            good = c_of >= 0
            pushed, c_of = pushed[good], c_of[good]
            parts.append({"t": touches["opened"][pushed], "cl": c_of,
                          "name": np.full(len(pushed), V.EVENT_NAME.code("push_open"), np.int16),
                          "seq": np.zeros(len(pushed), np.int64),
                          "sess": ns + len(oi) + np.arange(len(pushed), dtype=np.int64),
                          "utm": np.full(len(pushed), -1, np.int16), "sku": np.full(len(pushed), -1, np.int64)})
    ev = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = (ev["t"] >= 0) & (ev["t"] < limit * C.DAY_MS)
    ev = {k: v[keep] for k, v in ev.items()}
    m = len(ev["t"])
    c = ev["cl"]
    local = per[c]
    nm = ev["name"]
    # product context
    needs_sku = np.isin(nm, [1, 3, 4, 5]) & (ev["sku"] < 0)
    ns_idx = np.flatnonzero(needs_sku)
    if len(ns_idx):
        lp = local[ns_idx]
        l1 = categorical(rng, P.cat_cdf[lp])
        l2 = world.l2_of_l1_start[l1] + np.floor(rng.random(len(lp)) * world.l2_count[l1]).astype(np.int64)
        q = np.clip(P.price_q[lp] + rng.normal(0, 0.25, len(lp)), 0, 0.999)
        ev["sku"][ns_idx] = l2 * C.SKUS_PER_L2 + (q * C.SKUS_PER_L2).astype(np.int64)
    sku = ev["sku"]
    l1 = np.where(sku >= 0, world.sku_l1[np.maximum(sku, 0)], -1).astype(np.int16)
    search = nm == V.EVENT_NAME.code("search")
    term_l1 = categorical(rng, P.cat_cdf[local])
    n_terms = np.array([len(v) for v in C.SEARCH_TERMS.values()])
    term = np.where(search, np.cumsum(n_terms)[term_l1] - n_terms[term_l1] +
                    np.floor(rng.random(m) * n_terms[term_l1]).astype(np.int64), -1).astype(np.int16)
    content = np.where(np.isin(nm, [6, 7]), choice_p(rng, m, [5, 3, 2, 2]), -1).astype(np.int16)
    logged = ev["t"] >= cl.login[c] * C.DAY_MS
    account = np.where(logged & P.has_account[local], P.pid[local], -1)
    ckind = cl.kind[c]
    device = np.where(cl.zero_device[c], I.ZERO_DEVICE, cl.device[c])
    openid = np.where(ckind == 3, P.pid[local] * 2, -1)
    # delivery: most within seconds, ~5% 1-3 days late, ~0.5% up to 30 days late
    u = rng.random(m)
    delay = np.where(
        u < 0.005, rng.uniform(3, 30, m) * C.DAY_MS,
        np.where(u < 0.055, rng.uniform(1, 3, m) * C.DAY_MS,
                 np.exp(rng.normal(np.log(2500.0), 1.2, m))),
    ).astype(np.int64) + 50
    rcv = ev["t"] + delay
    # event_ts shape per platform: SDK epoch millis on apps, UTC ISO on web, local millis on mini
    ts_sh = np.select([ckind <= 1, ckind == 2], [6, 4], 2).astype(np.int8)
    ts_sh[(ckind <= 1) & (rng.random(m) < 0.05)] = 5
    rcv_sh = np.where(rng.random(m) < 0.7, 2, 5).astype(np.int8)
    plat = V.EVENT_PLATFORM.spell(rng, ckind.astype(np.int16), 0.05)
    name_sp = V.EVENT_NAME.spell(rng, nm, 0.02)
    serial = (np.int64(chunk) << 40) + np.arange(m, dtype=np.int64)
    table = {
        "event": splitmix64(serial ^ np.int64(world.seed * 2654435761 % (2**31))), "ts_ms": ev["t"],
        "ts_sh": ts_sh, "rcv_ms": rcv, "rcv_sh": rcv_sh, "name": name_sp, "platform": plat,
        "device": device, "anon": cl.anon[c], "account": account, "openid": openid,
        "sku": sku, "l1": l1, "ctype": content, "term": term, "utm": ev["utm"],
        "content": np.where(content >= 0, rng.integers(0, 1000, m), -1).astype(np.int16),
        "ckind": ckind, "_arr": rcv, "_actor": P.pid[local], "_cl": c.astype(np.int32),
        "_sess": ev["sess"],
    }
    return table


# ---------------------------------------------------------------------------------------
def _versions(rng, base: dict, times: list[np.ndarray], overrides: list[dict]) -> dict:
    """Stack version rows: `times[i]` are the update times of version i (NaN: no such version)."""
    parts = []
    for t, ov in zip(times, overrides):
        k = np.flatnonzero(np.isfinite(t))
        part = {c: a[k] for c, a in base.items()}
        for c, a in ov.items():
            part[c] = a[k]
        part["upd_ms"] = day_ms(t[k])
        parts.append(part)
    return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}


def make_crm(rng, P: Persons, M: Membership, wechat: np.ndarray) -> dict:
    who = np.flatnonzero(np.isfinite(M.reg) & (M.reg < C.AS_OF_DAY + 30))
    m = len(who)
    reg = M.reg[who]
    store_first = (P.persona[who] == STORE_ONLY) | (rng.random(m) < P.channel[who, 3])
    regch = np.where(store_first, 0, choice_p(rng, m, [0.25, 0.3, 0.3, 0.15]) + 1).astype(np.int16)
    old = P.phone_at(who, reg)
    email_from = np.where(P.has_email[who], np.where(rng.random(m) < 0.6, reg, reg + rng.exponential(200, m)), np.inf)
    gender = V.GENDER.spell(rng, np.where(rng.random(m) < 0.04, 2, np.where(P.female[who], 1, 0)).astype(np.int16), 0.45)
    years = (P.birth_year[who].astype(np.int64) - 1970).astype("datetime64[Y]")
    birth = np.where(rng.random(m) < 0.88,  # days since 1970-01-01, or unknown
                     years.astype("datetime64[D]").astype(np.int64) + P.birth_doy[who], -(10**6))
    base = {
        "member": P.pid[who] * 2, "card": P.pid[who] * 2, "sur": P.surname[who], "giv": P.given[who],
        "phone": old, "email": np.where(email_from <= reg, P.email[who], -1), "gender": gender,
        "birth": birth, "city": P.city[who].astype(np.int16), "regch": regch, "reg_ms": day_ms(reg),
        "unionid": np.where(wechat[who] & (rng.random(m) < 0.6), P.pid[who], -1), "_actor": P.pid[who],
    }
    v1 = reg + rng.uniform(0, 0.01, m)
    chg = P.phone_change[who]
    t_phone = np.where((chg > reg) & (rng.random(m) < 0.9), chg + rng.uniform(0, 30, m), np.nan)
    new_phone = P.phone2[who]
    t_email = np.where(np.isfinite(email_from) & (email_from > reg), email_from, np.nan)
    t_other = np.where(rng.random(m) < 0.25, reg + rng.uniform(1, 600, m), np.nan)
    # later versions carry the state at their time
    def state(tv):
        ph = np.where(np.isfinite(t_phone) & (t_phone <= tv), new_phone, old)
        em = np.where(email_from <= tv, P.email[who], -1)
        return {"phone": ph, "email": em}
    rows = _versions(rng, base, [v1, t_phone, t_email, t_other],
                     [{}, state(np.nan_to_num(t_phone, nan=np.inf)), state(np.nan_to_num(t_email, nan=np.inf)),
                      state(np.nan_to_num(t_other, nan=np.inf))])
    # duplicate registrations: a second member_id for the same human
    d = np.flatnonzero(np.isfinite(M.dup_reg[who]))
    dd = who[d]
    tdup = M.dup_reg[dd]
    via_email = P.has_email[dd] & (rng.random(len(d)) < 0.3)
    dup = {c: a[d] for c, a in base.items()}
    dup.update({
        "member": P.pid[dd] * 2 + 1, "card": P.pid[dd] * 2 + 1,
        "phone": np.where(via_email, -1, P.phone_at(dd, tdup)),
        "email": np.where(via_email | (rng.random(len(d)) < 0.5), P.email[dd], -1),
        "regch": ((regch[d] + 1 + rng.integers(0, 4, len(d))) % 5).astype(np.int16),
        "reg_ms": day_ms(tdup), "unionid": np.full(len(d), -1, np.int64),
        "upd_ms": day_ms(tdup) + 1000,
    })
    dup["gender"] = V.GENDER.spell(rng, np.array(V.GENDER.canon_of, np.int16)[dup["gender"]], 0.5)
    rows = {c: np.concatenate([rows[c], dup[c]]) for c in rows}
    n = len(rows["member"])
    # store staff type a filler address when the customer gives none
    filler = (rows["email"] < 0) & (rng.random(n) < 0.02)
    rows["email"] = np.where(filler, I.TEST_EMAILS[rng.integers(0, 4, n)], rows["email"])
    rows["phone_sh"] = phone_shape(rng, n)
    # the duplicate's phone is typed differently from the primary record
    rows["phone_sh"][-len(d):] = (rows["phone_sh"][-len(d):] % 9) + 1 if len(d) else rows["phone_sh"][-len(d):]
    rows["email_sh"] = email_shape(rng, n)
    rows["birth_sh"] = choice_p(rng, n, [0.6, 0.25, 0.15]).astype(np.int8)
    rows["reg_sh"] = ts_shape(rng, n, "crm")
    rows["upd_sh"] = ts_shape(rng, n, "crm")
    rows["pad"] = (rng.random(n) < 0.01).astype(np.int8)
    rows["_arr"] = rows["upd_ms"]
    rows["_key"] = rows["member"]
    return rows


def make_accounts(rng, P: Persons) -> dict:
    who = np.flatnonzero(P.has_account & (P.start < C.AS_OF_DAY + 30))
    m = len(who)
    created = P.start[who]
    old = P.phone_at(who, created)
    has_phone = rng.random(m) < 0.93
    email_at = np.where(P.has_email[who] & (rng.random(m) < 0.7),
                        np.where(rng.random(m) < 0.6, created, created + rng.exponential(150, m)), np.inf)
    base = {
        "account": P.pid[who], "phone": np.where(has_phone, old, -1),
        "email": np.where(email_at <= created, P.email[who], -1),
        "nick": P.pid[who], "nick_sh": choice_p(rng, m, [0.4, 0.3, 0.3]).astype(np.int8),
        "sur": P.surname[who], "giv": P.given[who], "created_ms": day_ms(created), "_actor": P.pid[who],
    }
    chg = P.phone_change[who]
    t_phone = np.where(has_phone & (chg > created) & (rng.random(m) < 0.45), chg + rng.uniform(0, 60, m), np.nan)
    t_email = np.where(np.isfinite(email_at) & (email_at > created), email_at, np.nan)
    t_nick = np.where(rng.random(m) < 0.2, created + rng.uniform(1, 700, m), np.nan)

    def state(tv):
        ph = np.where(has_phone, np.where(np.isfinite(t_phone) & (t_phone <= tv), P.phone2[who], old), -1)
        return {"phone": ph, "email": np.where(email_at <= tv, P.email[who], -1),
                "nick_sh": np.where(np.isfinite(t_nick) & (t_nick <= tv), (base["nick_sh"] + 1) % 3, base["nick_sh"]).astype(np.int8)}
    inf = lambda a: np.nan_to_num(a, nan=np.inf)  # noqa: E731
    rows = _versions(rng, base, [created + rng.uniform(0, 0.001, m), t_phone, t_email, t_nick],
                     [{}, state(inf(t_phone)), state(inf(t_email)), state(inf(t_nick))])
    n = len(rows["account"])
    # QA and lazy sign-ups: test and filler e-mail addresses
    test = (rows["email"] < 0) & (rng.random(n) < 0.01)
    rows["email"] = np.where(test, I.TEST_EMAILS[rng.integers(0, 4, n)], rows["email"])
    rows["phone_sh"] = phone_shape(rng, n)
    rows["email_sh"] = email_shape(rng, n)
    rows["created_sh"] = ts_shape(rng, n, "shop")
    rows["upd_sh"] = ts_shape(rng, n, "shop")
    rows["pad"] = (rng.random(n) < 0.005).astype(np.int8)
    rows["_arr"] = rows["upd_ms"]
    rows["_key"] = rows["account"]
    return rows


def make_tickets(rng, P: Persons, om: dict, serial0: int) -> dict:
    # tickets about orders
    m_o = len(om["t"])
    u = rng.random(m_o)
    about = (om["refunded"] & (u < 0.6)) | (~om["cancelled"] & (u < 0.05))
    oi = np.flatnonzero(about)
    cat_o = np.where(om["refunded"][oi], V.TICKET_CATEGORY.code("return"),
                     choice_p(rng, len(oi), [0, 0.35, 0, 0.5, 0.1, 0.05])).astype(np.int16)
    t_o = np.where(om["refunded"][oi], om["done"][oi], om["ship"][oi]) + (
        rng.exponential(2.0, len(oi)) * C.DAY_MS).astype(np.int64)
    # inquiries from anybody known
    alive_s = np.maximum(P.start, 0.0)
    alive_e = np.minimum(P.death + 60, float(C.AS_OF_DAY + 30))
    n_inq = rng.poisson(np.maximum(alive_e - alive_s, 0) / 365.0 * 0.25)
    inq = np.repeat(np.arange(P.n), n_inq)
    t_i = day_ms(alive_s[inq] + rng.random(len(inq)) * (alive_e - alive_s)[inq])
    cat_i = choice_p(rng, len(inq), [0.7, 0.1, 0, 0, 0.1, 0.1])
    who = np.concatenate([om["local"][oi], inq])
    t = np.concatenate([t_o, t_i])
    cat = np.concatenate([cat_o, cat_i]).astype(np.int16)
    m = len(who)
    chan = choice_p(rng, m, [0.35, 0.3, 0.08, 0.12, 0.15])
    chan = np.where(~P.has_account[who] & (chan == 4), 0, chan).astype(np.int16)
    filler = I.GENERIC_PLACEHOLDERS[rng.integers(0, len(I.GENERIC_PLACEHOLDERS), m)]
    phone = np.where(rng.random(m) < 0.8, P.phone_at(who, t / C.DAY_MS), np.where(rng.random(m) < 0.5, filler, -1))
    email = np.where(P.has_email[who] & ((chan == 2) | (rng.random(m) < 0.25)), P.email[who], -1)
    acct = np.where(P.has_account[who] & ((chan == 4) | (chan == 1) | (rng.random(m) < 0.6)), P.pid[who], -1)
    resolved = rng.random(m) < 0.9
    t_res = t + (np.exp(rng.normal(np.log(20.0), 1.0, m)) * C.HOUR_MS).astype(np.int64)
    nps = C.persona_array("nps_mean")[P.persona[who]]
    sat = np.clip(np.round((nps - 5.0) / 1.2 + 1.0 + rng.normal(0, 1.0, m) - 1.3 * (cat == 1)), 1, 5)
    sat = np.where(resolved & (rng.random(m) < 0.65), sat, -1).astype(np.int8)
    comment = np.where(rng.random(m) < 0.5, rng.integers(0, len(C.TICKET_COMMENTS), m), -1).astype(np.int16)
    serial = serial0 + 60_000_000 + np.arange(m, dtype=np.int64)
    base = {"ticket": serial, "created_ms": t, "resolved_ms": np.full(m, NULL_MS), "channel": chan,
            "phone": phone, "email": email, "account": acct, "category": cat,
            "satisfaction": np.full(m, -1, np.int8), "comment": np.full(m, -1, np.int16),
            "_actor": P.pid[who]}
    v1 = t + rng.integers(0, 60_000, m)
    v2 = np.where(resolved, t_res, NULL_MS)
    p1 = {c: a.copy() for c, a in base.items()}
    p1["upd_ms"] = v1
    k = np.flatnonzero(resolved)
    p2 = {c: a[k] for c, a in base.items()}
    p2.update({"resolved_ms": t_res[k], "satisfaction": sat[k], "comment": comment[k], "upd_ms": v2[k]})
    rows = {c: np.concatenate([p1[c], p2[c]]) for c in p1}
    n = len(rows["ticket"])
    rows["category"] = V.TICKET_CATEGORY.spell(rng, rows["category"], 0.0)
    rows["phone_sh"] = phone_shape(rng, n)
    rows["email_sh"] = email_shape(rng, n)
    sh = ts_shape(rng, n, "service")
    rows["created_sh"] = sh
    rows["resolved_sh"] = sh
    rows["upd_sh"] = sh
    rows["_arr"] = rows["upd_ms"]
    rows["_key"] = rows["ticket"]
    return rows


def make_survey(rng, P: Persons, serial0: int) -> dict:
    loyal = P.persona == C.PERSONA_NAMES.index("loyal_high_spender")
    n_resp = (rng.random(P.n) < np.where(loyal, 0.14, 0.07)).astype(np.int64)
    n_resp += (n_resp > 0) & (rng.random(P.n) < 0.1)
    who = np.repeat(np.arange(P.n), n_resp)
    m = len(who)
    lo = np.maximum(P.start[who], 0.0)
    hi = np.minimum(P.death[who] + 90, float(C.AS_OF_DAY + 30))
    t = lo + rng.random(m) * np.maximum(hi - lo, 1.0)
    filler = I.GENERIC_PLACEHOLDERS[rng.integers(0, len(I.GENERIC_PLACEHOLDERS), m)]
    phone = np.where(rng.random(m) < 0.85, P.phone_at(who, t), np.where(rng.random(m) < 0.3, filler, -1))
    email = np.where(P.has_email[who] & (rng.random(m) < 0.55), P.email[who], -1)
    email = np.where((email < 0) & (rng.random(m) < 0.08), I.TEST_EMAILS[rng.integers(0, 4, m)], email)
    nps = np.clip(np.round(rng.normal(C.persona_array("nps_mean")[P.persona[who]], 2.0)), 0, 10).astype(np.int8)
    pref = P.cat_pref[who] * rng.gamma(2.0, 1.0, (m, len(C.CATEGORY_L1)))
    top = np.argsort(-pref, axis=1)[:, :3].astype(np.int16)
    k = rng.integers(1, 4, m)
    top[:, 1] = np.where(k >= 2, top[:, 1], -1)
    top[:, 2] = np.where(k >= 3, top[:, 2], -1)
    age = (C.HISTORY_START.year + t / 365.25 - P.birth_year[who]).astype(np.int64)
    band = np.searchsorted(np.array([18, 25, 35, 45, 55]), age, side="right")
    band = np.clip(band + np.where(rng.random(m) < 0.1, rng.choice([-1, 1], m), 0), 0, 5)
    band = np.where(rng.random(m) < 0.04, 6, band).astype(np.int16)
    inc = np.searchsorted(np.array([0.35, 0.7]), P.price_q[who]).astype(np.int16)
    inc = np.where(rng.random(m) < 0.15, 3, inc).astype(np.int16)
    ts = day_ms(t)
    return {
        "response": serial0 + 70_000_000 + np.arange(m, dtype=np.int64), "sub_ms": ts,
        "sub_sh": ts_shape(rng, m, "survey"), "phone": phone, "phone_sh": phone_shape(rng, m),
        "email": email, "email_sh": email_shape(rng, m), "nps": nps, "i1": top[:, 0], "i2": top[:, 1],
        "i3": top[:, 2], "age": band, "income": inc, "_arr": ts, "_actor": P.pid[who],
    }


def make_privacy(rng, P: Persons, M: Membership, cl: Clients, mini_first, serial0: int,
                 erasures: bool = True) -> dict:
    who = np.flatnonzero(rng.random(P.n) < 0.012)
    m = len(who)
    rtype = choice_p(rng, m, [0.62, 0.28, 0.10])
    if not erasures:  # the same draws, the erasures turned into opt-outs (config.Scale)
        rtype = np.where(rtype == V.REQUEST_TYPE.code("erasure"), V.REQUEST_TYPE.code("marketing_opt_out"), rtype)
    lo = np.maximum(P.start[who], 0.0) + 30
    t = lo + rng.random(m) * np.maximum(C.AS_OF_DAY + 30 - lo, 1.0)
    # which identifier the person quotes
    opts = np.stack([
        np.ones(m, bool), P.has_email[who], P.has_account[who] & (P.start[who] < t),
        M.reg[who] < t, np.isfinite(mini_first[who]) & (mini_first[who] < t),
    ], 1).astype(float) * np.array([5, 2, 2, 1.5, 1])
    kind = categorical(rng, np.cumsum(opts / opts.sum(1, keepdims=True), 1))
    ikind = np.array([I.PHONE, I.EMAIL, I.ACCOUNT, I.MEMBER, I.OPENID], np.int8)[kind]
    val = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [P.phone_at(who, t), P.email[who], P.pid[who], P.pid[who] * 2], P.pid[who] * 2,
    )
    ts = day_ms(t)
    return {
        "request": serial0 + 80_000_000 + np.arange(m, dtype=np.int64),
        "idtype": ikind.astype(np.int16), "ikind": ikind, "ivalue": val.astype(np.int64),
        "ishape": phone_shape(rng, m), "rtype": rtype.astype(np.int16), "req_ms": ts,
        "req_sh": ts_shape(rng, m, "privacy"), "_arr": ts, "_actor": P.pid[who],
    }
