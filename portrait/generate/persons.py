"""Persons of one chunk: persona, demographics and latent behaviour parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config as C
from .ids import email_value, phone_from_slot
from .world import World


@dataclass
class Persons:
    lo: int  # first global person index of the chunk
    n: int
    pid: np.ndarray  # global person index
    persona: np.ndarray
    female: np.ndarray
    birth_year: np.ndarray
    birth_doy: np.ndarray
    city: np.ndarray
    surname: np.ndarray
    given: np.ndarray
    start: np.ndarray  # first activity / registration day (may be negative: before history)
    death: np.ndarray  # day the person stops buying (latent churn)
    rate: np.ndarray  # purchases per day while alive
    lines_mean: np.ndarray
    price_q: np.ndarray
    discount_affinity: np.ndarray
    cat_cdf: np.ndarray  # (n, 8) cumulative category preference
    cat_pref: np.ndarray
    channel: np.ndarray  # (n, 4) web/app/mini/store mix
    daypart: np.ndarray  # preferred daypart
    sessions: np.ndarray  # browsing sessions per day while alive
    is_member: np.ndarray
    has_account: np.ndarray
    is_digital: np.ndarray  # browses on app/web/miniprogram
    is_wechat: np.ndarray
    has_email: np.ndarray
    phone1: np.ndarray
    phone2: np.ndarray
    phone_change: np.ndarray  # day of the phone change (inf: never)
    email: np.ndarray  # packed email value or -1
    home_store: np.ndarray

    def phone_at(self, local: np.ndarray, day: np.ndarray) -> np.ndarray:
        return np.where(day >= self.phone_change[local], self.phone2[local], self.phone1[local])


def make_persons(world: World, rng: np.random.Generator, lo: int, hi: int) -> Persons:
    n = hi - lo
    pid = np.arange(lo, hi, dtype=np.int64)
    pa = {f: C.persona_array(f) for f in (
        "weight", "rate_mean", "rate_shape", "lines_mean", "churn_scale_days", "churn_shape",
        "sessions_per_day", "female_share", "p_member", "p_account", "p_app", "p_wechat", "p_email",
    )}
    persona = rng.choice(len(C.PERSONAS), n, p=pa["weight"] / pa["weight"].sum()).astype(np.int8)
    female = rng.random(n) < pa["female_share"][persona]
    by = np.array([p.birth_year for p in C.PERSONAS])
    birth_year = np.clip(np.round(rng.normal(by[persona, 0], by[persona, 1])), 1950, 2009).astype(np.int16)
    birth_doy = rng.integers(0, 365, n).astype(np.int16)
    tier_p = np.array([p.tier_p for p in C.PERSONAS])
    tier = (rng.random(n)[:, None] > np.cumsum(tier_p, 1)[persona]).sum(1) + 1
    tier = np.minimum(tier, 4)
    city = np.empty(n, dtype=np.int16)
    for t in range(1, 5):
        sel = np.flatnonzero(tier == t)
        cities = np.flatnonzero(C.CITY_TIER == t)
        w = C.CITY_WEIGHT[cities] / C.CITY_WEIGHT[cities].sum()
        city[sel] = cities[rng.choice(len(cities), len(sel), p=w)]
    surname = rng.choice(len(C.SURNAMES), n, p=C.SURNAME_WEIGHT / C.SURNAME_WEIGHT.sum()).astype(np.int16)
    given = (rng.integers(0, len(C.GIVEN_MALE), n) + np.where(female, len(C.GIVEN_MALE), 0)).astype(np.int16)

    new = persona == C.PERSONA_NAMES.index("new_joiner")
    pre = rng.random(n) < 0.55
    start = np.where(
        new,
        rng.uniform(C.AS_OF_DAY - 200, C.AS_OF_DAY - 5, n),
        np.where(pre, rng.uniform(-C.PRE_HISTORY_DAYS, 0, n), rng.uniform(0, C.AS_OF_DAY - 20, n)),
    )
    life = pa["churn_scale_days"][persona] * np.exp(rng.normal(0, 0.4, n)) * rng.weibull(
        pa["churn_shape"][persona]
    )
    death = np.maximum(start, 0.0) + life
    shape = pa["rate_shape"][persona]
    rate = rng.gamma(shape, pa["rate_mean"][persona] / shape)
    lines_mean = 1.0 + rng.gamma(4.0, (pa["lines_mean"][persona] - 1.0) / 4.0)
    pb = np.array([p.price_beta for p in C.PERSONAS])
    price_q = rng.beta(pb[persona, 0], pb[persona, 1])
    da = np.array([p.discount_affinity for p in C.PERSONAS])
    discount_affinity = rng.beta(da[persona, 0], da[persona, 1])
    ca = np.array([p.category_alpha for p in C.PERSONAS])
    g = rng.gamma(ca[persona] * 1.5)
    cat_pref = g / g.sum(1, keepdims=True)
    cha = np.array([p.channel_alpha for p in C.PERSONAS])
    g = rng.gamma(cha[persona] * 2.0) + 1e-9
    channel = g / g.sum(1, keepdims=True)
    dp = np.array([p.daypart for p in C.PERSONAS])
    daypart = (rng.random(n)[:, None] > np.cumsum(dp, 1)[persona]).sum(1).clip(0, 5).astype(np.int8)
    sess = pa["sessions_per_day"][persona]
    sessions = rng.gamma(1.5, sess / 1.5)

    is_member = rng.random(n) < pa["p_member"][persona]
    has_account = rng.random(n) < pa["p_account"][persona]
    is_digital = (rng.random(n) < pa["p_app"][persona]) | (has_account & (rng.random(n) < 0.9))
    is_wechat = rng.random(n) < pa["p_wechat"][persona]
    has_email = rng.random(n) < pa["p_email"][persona]
    # without an online account every purchase happens in a store
    rate = np.where(has_account, rate, rate * (channel[:, 3] + 0.15))
    channel[~has_account, :3] = 0.0
    channel[~has_account, 3] = 1.0

    phone1 = phone_from_slot(world.seed, pid)
    phone2 = phone_from_slot(world.seed, C.MAX_PERSONS + pid)
    changer = rng.random(n) < 0.19  # ~half of the changes show both numbers in raw
    lo_c = np.maximum(start, 0) + 30
    span = np.minimum(C.AS_OF_DAY - 10, death) - lo_c  # a change while the person is still active
    phone_change = np.where(changer & (span > 0), lo_c + rng.random(n) * np.maximum(span, 0), np.inf)
    email = np.where(has_email, email_value(pid, surname, given), -1)

    home_store = np.empty(n, dtype=np.int32)
    for c in range(len(C.CITIES)):
        sel = np.flatnonzero(city == c)
        if not len(sel):
            continue
        stores = world.city_stores[c]
        if len(stores) == 0:  # no store in town: the nearest big-city store
            stores = world.city_stores[int(np.argmax(C.CITY_WEIGHT))]
        home_store[sel] = stores[rng.integers(0, len(stores), len(sel))]

    return Persons(
        lo=lo, n=n, pid=pid, persona=persona, female=female, birth_year=birth_year,
        birth_doy=birth_doy, city=city, surname=surname, given=given, start=start, death=death,
        rate=rate, lines_mean=lines_mean, price_q=price_q, discount_affinity=discount_affinity,
        cat_cdf=np.cumsum(cat_pref, 1), cat_pref=cat_pref, channel=channel, daypart=daypart,
        sessions=sessions, is_member=is_member, has_account=has_account, is_digital=is_digital,
        is_wechat=is_wechat, has_email=has_email, phone1=phone1, phone2=phone2,
        phone_change=phone_change, email=email, home_store=home_store,
    )


def draw_ms_of_day(world: World, rng: np.random.Generator, persons: Persons, local: np.ndarray) -> np.ndarray:
    """Milliseconds into the day: the person's preferred daypart or the persona's hour profile."""
    m = len(local)
    own = rng.random(m) < 0.55
    dp = np.array(C.DAYPARTS)[persons.daypart[local]]
    h_own = dp[:, 0] + np.floor(rng.random(m) * (dp[:, 1] - dp[:, 0]))
    cdf = world.hour_cdf[persons.persona[local]]
    h_pers = (rng.random(m)[:, None] > cdf).sum(1).clip(0, 23)
    hour = np.where(own, h_own, h_pers).astype(np.int64)
    return hour * C.HOUR_MS + rng.integers(0, C.HOUR_MS, m)


def draw_store_ms_of_day(world: World, rng: np.random.Generator, m: int) -> np.ndarray:
    hour = (rng.random(m)[:, None] > world.store_hour_cdf).sum(1).clip(0, 23).astype(np.int64)
    return hour * C.HOUR_MS + rng.integers(0, C.HOUR_MS, m)
