"""The shared world every chunk draws from: calendar curves, catalogue, stores, campaigns.

Built once per `generate` call from the seed alone (not from the chunk), so every chunk
sees the same SKUs, stores and campaigns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from . import config as C
from . import vocab as V

# Lunar new year (logistics pause: online orders dip around it).
_CNY = (dt.date(2024, 2, 10), dt.date(2025, 1, 29), dt.date(2026, 2, 17), dt.date(2027, 2, 6))


def promo_level(day: dt.date) -> float:
    """0..1 promotion intensity of a local date: 618 (Jun 1-18), Double 11 (Nov 1-11), 12.12."""
    m, d = day.month, day.day
    if m == 6 and 1 <= d <= 18:
        return 1.0 if d == 18 else 0.6 if d >= 16 else 0.3
    if (m == 10 and d == 31) or (m == 11 and 1 <= d <= 11):
        return 1.0 if (m == 11 and d == 11) else 0.6 if (m == 11 and d == 10) else 0.3
    if m == 12 and 10 <= d <= 12:
        return 0.5 if d == 12 else 0.15
    return 0.0


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """A PCG64 generator for one named stream of one seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *stream])))


class Curve:
    """Per-persona daily intensity weights with cumulative sums, for inverse-CDF sampling."""

    def __init__(self, weights: np.ndarray):
        self.w = weights  # (personas, N_DAYS)
        k, n = weights.shape
        self.cum = np.zeros((k, n + 1))
        np.cumsum(weights, axis=1, out=self.cum[:, 1:])
        self.offset = self.cum[:, -1].max() * 2 + 10.0
        self.flat = (self.cum + self.offset * np.arange(k)[:, None]).ravel()

    def at(self, persona: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Cumulative intensity at fractional day x (clipped to the simulated range)."""
        x = np.clip(x, 0.0, C.N_DAYS)
        fl = np.minimum(x.astype(np.int64), C.N_DAYS - 1)
        return self.cum[persona, fl] + (x - fl) * self.w[persona, fl]

    def sample(
        self, rng: np.random.Generator, persona: np.ndarray, start: np.ndarray, end: np.ndarray,
        rate: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Poisson points with intensity rate * w(day) on [start, end) per segment.

        Returns (segment index, fractional day) of every point, grouped by segment.
        """
        c0 = self.at(persona, start)
        c1 = self.at(persona, end)
        mass = np.where(end > start, np.maximum(c1 - c0, 0.0), 0.0)
        n = rng.poisson(mass * rate)
        seg = np.repeat(np.arange(len(n)), n)
        u = c0[seg] + rng.random(len(seg)) * (c1 - c0)[seg]
        k = persona[seg]
        pos = np.searchsorted(self.flat, u + self.offset * k, side="right") - 1
        day = pos - k * (C.N_DAYS + 1)
        day = np.clip(day, 0, C.N_DAYS - 1)
        frac = (u - self.cum[k, day]) / np.maximum(self.w[k, day], 1e-12)
        return seg, day + np.clip(frac, 0.0, 0.999999)


@dataclass
class Campaigns:
    """The campaign calendar (global, N_CAMPAIGNS campaigns)."""

    n: int
    channel: np.ndarray  # TOUCH_CHANNEL code
    objective: np.ndarray  # OBJECTIVE code
    start_ms: np.ndarray
    end_ms: np.ndarray
    reach: np.ndarray  # share of eligible persons targeted
    treat_share: np.ndarray
    strength: np.ndarray  # multiplies the persona uplift
    persona_weight: np.ndarray  # (n, personas) targeting weights
    window_day: np.ndarray  # first day of the attribution window (the start date)
    dormant: np.ndarray  # positive response of churned persons, as a share of the active ones'
    names: list[str] = field(default_factory=list)


@dataclass
class World:
    seed: int
    scale: C.Scale
    promo: np.ndarray
    weekday: np.ndarray
    online_curve: Curve
    store_curve: Curve
    browse_curve: Curve
    hour_cdf: np.ndarray  # (personas, 24) cumulative
    store_hour_cdf: np.ndarray  # (24,) cumulative
    sku_l1: np.ndarray
    sku_l2: np.ndarray
    sku_price: np.ndarray  # cents
    l2_of_l1_start: np.ndarray  # first global l2 index of each l1
    l2_count: np.ndarray  # number of l2 per l1
    l2_names: list[str]
    store_city: np.ndarray
    store_phone: np.ndarray
    store_types_own_phone: np.ndarray  # bool
    city_stores: list[np.ndarray]
    campaigns: Campaigns
    mini_app_id: str
    oa_app_id: str


def build_world(seed: int, scale: C.Scale) -> World:
    rng = rng_for(seed, 7_000_001)
    days = [C.HISTORY_START + dt.timedelta(days=i) for i in range(C.N_DAYS)]
    promo = np.array([promo_level(d) for d in days])
    weekday = np.array([d.weekday() for d in days], dtype=np.int8)
    cny = np.zeros(C.N_DAYS)
    for d0 in _CNY:
        i = (d0 - C.HISTORY_START).days
        cny[max(i - 4, 0): max(min(i + 6, C.N_DAYS), 0)] = 1.0
    weekend = (weekday >= 5).astype(float)
    boost = C.persona_array("promo_boost")[:, None]
    wk = 1.0 + (C.persona_array("weekend_boost")[:, None] - 1.0) * weekend[None, :]
    # slow growth of the business over time (+25%/year)
    trend = 1.0 + 0.25 * np.arange(C.N_DAYS) / 365.0
    online = wk * (1.0 + (boost - 1.0) * promo[None, :]) * (1.0 - 0.5 * cny[None, :]) * trend
    store_boost = np.minimum(boost, 1.6)
    store = (1.0 + 0.45 * weekend[None, :]) * (1.0 + (store_boost - 1.0) * promo[None, :]) * (
        1.0 + 0.3 * cny[None, :]
    ) * trend
    store = np.broadcast_to(store, online.shape).copy()
    browse = wk * (1.0 + 0.6 * promo[None, :]) * trend

    hours = np.zeros((len(C.PERSONAS), 24))
    for k, p in enumerate(C.PERSONAS):
        for share, (h0, h1) in zip(p.daypart, C.DAYPARTS):
            hours[k, h0:h1] = share / (h1 - h0)
    hours /= hours.sum(1, keepdims=True)
    store_hours = np.zeros(24)
    store_hours[9:22] = [2, 3, 4, 5, 4, 4, 5, 6, 7, 8, 8, 6, 3]
    store_hours /= store_hours.sum()

    # catalogue: SKUS_PER_L2 skus per category_l2, sorted by price within the l2
    l1s, l2s, prices, l2_names = [], [], [], []
    l2_start, l2_count = [], []
    for i, (l1, children) in enumerate(C.CATEGORIES.items()):
        l2_start.append(len(l2_names))
        l2_count.append(len(children))
        for child in children:
            g = len(l2_names)
            l2_names.append(child)
            median = C.CATEGORY_PRICE[i] * float(np.exp(rng.normal(0.0, 0.35)))
            p = np.sort(np.exp(rng.normal(np.log(median), 0.7, C.SKUS_PER_L2)))
            p = np.maximum(np.round(p) - 0.1, 0.9)  # xx9.90 style prices
            prices.append(np.round(p * 100).astype(np.int64))
            l1s.append(np.full(C.SKUS_PER_L2, i))
            l2s.append(np.full(C.SKUS_PER_L2, g))

    # stores: every big city has one, the rest by population
    n_st = scale.stores
    order = np.argsort(-C.CITY_WEIGHT, kind="stable")
    first = order[: min(n_st, len(order))]
    rest = rng.choice(len(C.CITIES), n_st - len(first), p=C.CITY_WEIGHT / C.CITY_WEIGHT.sum())
    store_city = np.concatenate([first, rest]).astype(np.int16)
    from .ids import phone_from_slot  # local import: ids depends on config only

    store_phone = phone_from_slot(seed, 2 * C.MAX_PERSONS + np.arange(n_st, dtype=np.int64))
    own_phone = rng.random(n_st) < 0.3
    city_stores = [np.flatnonzero(store_city == c) for c in range(len(C.CITIES))]

    # campaigns: start dates at least CAMPAIGN_GAP_DAYS apart (attribution windows never
    # overlap, so each campaign's effect is measurable on its own), some on 618/Double 11
    n_c = C.N_CAMPAIGNS
    lo, hi = 20, C.AS_OF_DAY - 25  # every window ends before the as-of date
    days: list[int] = []
    for d in rng.permutation([152, 305, 517, 670, 882, 140, 505])[:6]:
        if all(abs(int(d) - e) >= C.CAMPAIGN_GAP_DAYS for e in days):
            days.append(int(d))
    for _ in range(100_000):
        if len(days) == n_c:
            break
        d = int(rng.integers(lo, hi))
        if all(abs(d - e) >= C.CAMPAIGN_GAP_DAYS for e in days):
            days.append(d)
    if len(days) != n_c:  # pragma: no cover - the calendar has room for ~43 campaigns
        raise RuntimeError("no room for the campaign calendar")
    start_day = np.sort(np.array(days, dtype=np.int64))
    duration = rng.integers(3, 15, n_c)
    # every channel on ~n/4 campaigns (dealt round-robin, shuffled)
    ch = rng.permutation(np.resize(np.arange(len(V.TOUCH_CHANNEL.canonical)), n_c))
    obj = rng.choice(5, n_c, p=[0.15, 0.25, 0.25, 0.2, 0.15])
    # targeting weights from the personas' fields: any number of personas
    pw = np.array([p.targeting for p in C.PERSONAS], dtype=np.float64).T[obj]  # (n_c, personas)
    names = [
        f"{C.CAMPAIGN_THEMES[rng.integers(len(C.CAMPAIGN_THEMES))]}"
        f"{(C.HISTORY_START + dt.timedelta(days=int(d))).year}-{V.TOUCH_CHANNEL.canonical[c]}"
        for d, c in zip(start_day, ch)
    ]
    campaigns = Campaigns(
        n=n_c,
        channel=ch.astype(np.int16),
        objective=obj.astype(np.int16),
        start_ms=start_day * C.DAY_MS + rng.integers(9, 12, n_c) * C.HOUR_MS,
        end_ms=(start_day + duration) * C.DAY_MS + 23 * C.HOUR_MS,
        reach=rng.uniform(0.10, 0.30, n_c),
        treat_share=np.where(rng.random(n_c) < 0.5, 0.8, 0.5),
        strength=np.clip(np.exp(rng.normal(0.0, 0.5, n_c)), 0.3, 2.5),
        persona_weight=pw,
        window_day=start_day,
        dormant=np.array(C.DORMANT_RESPONSE)[obj],
        names=names,
    )
    hexes = rng.integers(0, 16, 32)
    mini = "wx" + "".join("0123456789abcdef"[h] for h in hexes[:16])
    oa = "wx" + "".join("0123456789abcdef"[h] for h in hexes[16:])
    return World(
        seed=seed, scale=scale, promo=promo, weekday=weekday,
        online_curve=Curve(online), store_curve=Curve(store), browse_curve=Curve(browse),
        hour_cdf=np.cumsum(hours, axis=1), store_hour_cdf=np.cumsum(store_hours),
        sku_l1=np.concatenate(l1s), sku_l2=np.concatenate(l2s), sku_price=np.concatenate(prices),
        l2_of_l1_start=np.array(l2_start), l2_count=np.array(l2_count), l2_names=l2_names,
        store_city=store_city, store_phone=store_phone, store_types_own_phone=own_phone,
        city_stores=city_stores, campaigns=campaigns, mini_app_id=mini, oa_app_id=oa,
    )
