"""Fixed parameters of the synthetic world: dates, scales, personas, catalogue, places, names.

Everything here is a constant: the random draws happen in `simulate.py`, seeded per
chunk, so the same seed and scale always give the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# ----------------------------------------------------------------------------- time
AS_OF_DATE = dt.date(2026, 6, 30)
HISTORY_START = dt.date(2024, 1, 1)
#: Earliest master-data arrival: customers who registered before the history window.
DATA_START = dt.date(2022, 1, 1)
FUTURE_DAYS = 365
AS_OF_DAY = (AS_OF_DATE - HISTORY_START).days  # 911: day index of the as-of date
END_DAY = AS_OF_DAY + FUTURE_DAYS  # last simulated day (inclusive), truth only
N_DAYS = END_DAY + 1
PRE_HISTORY_DAYS = (HISTORY_START - DATA_START).days  # 730
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: Epoch milliseconds of 2024-01-01 00:00 read as a naive clock (DuckDB `epoch_ms`).
T0_NAIVE_EPOCH_MS = 1_704_067_200_000
#: Epoch milliseconds (UTC) of 2024-01-01 00:00 Asia/Shanghai.
T0_UTC_EPOCH_MS = T0_NAIVE_EPOCH_MS - 8 * HOUR_MS

# ----------------------------------------------------------------------------- scales
CHUNK_PERSONS = 25_000  # persons per chunk: fixed, so results never depend on memory or workers
MAX_PERSONS = 2_000_000  # size of the identifier id spaces


@dataclass(frozen=True)
class Scale:
    """A dataset size: persons simulated and stores operated."""

    persons: int
    stores: int
    # False: the privacy requests drawn as erasures become marketing opt-outs. `tiny` makes
    # none, so the tests that compare builds row for row need no erasure pass (erasure is
    # tested with planted requests, tests/python/test_privacy_erasure.py).
    erasure_requests: bool = True


SCALES: dict[str, Scale] = {
    "tiny": Scale(persons=2_000, stores=12, erasure_requests=False),
    "small": Scale(persons=50_000, stores=60),
    "medium": Scale(persons=200_000, stores=150),
    "large": Scale(persons=1_000_000, stores=400),
}

# ----------------------------------------------------------------------------- personas
CATEGORIES: dict[str, list[str]] = {
    "apparel": ["tops", "bottoms", "outerwear", "underwear", "accessories"],
    "beauty": ["skincare", "makeup", "fragrance", "haircare"],
    "electronics": ["phones", "audio", "computers", "smart_home"],
    "home": ["kitchen", "bedding", "storage", "decor"],
    "food": ["snacks", "beverages", "fresh", "tea_coffee"],
    "baby": ["diapers", "formula", "toys", "baby_clothing"],
    "sports": ["footwear", "fitness", "outdoor", "cycling"],
    "books": ["fiction", "education", "comics", "business"],
}
CATEGORY_L1 = list(CATEGORIES)
#: Median list price per category_l1 (yuan).
CATEGORY_PRICE = [189.0, 239.0, 899.0, 129.0, 45.0, 159.0, 329.0, 49.0]
SKUS_PER_L2 = 60

CHANNELS = ("web", "app", "miniprogram", "store")
DAYPARTS = ((0, 7), (7, 11), (11, 14), (14, 18), (18, 22), (22, 24))  # night..late
BROWSE_EVENTS = (
    "page_view", "product_view", "search", "add_to_cart", "favorite", "share",
    "video_play", "content_like",
)


@dataclass(frozen=True)
class Persona:
    """Distribution of person-level parameters for one latent persona."""

    name: str
    weight: float  # population share
    rate_mean: float  # purchases per day while alive (gamma mean)
    rate_shape: float  # gamma shape: heterogeneity across persons
    lines_mean: float  # mean lines per basket
    price_beta: tuple[float, float]  # price quantile preference within a category
    promo_boost: float  # purchase multiplier on a promotion's peak day
    discount_affinity: tuple[float, float]  # beta: coupon use / discount share
    channel_alpha: tuple[float, float, float, float]  # Dirichlet over web/app/mini/store
    category_alpha: tuple[float, ...]  # Dirichlet over the 8 category_l1
    sessions_per_day: float  # browsing sessions per day while alive (gamma mean)
    events_per_session: float
    browse_mix: tuple[float, ...]  # over BROWSE_EVENTS
    churn_scale_days: float  # Weibull scale of the lifetime
    churn_shape: float  # Weibull shape
    daypart: tuple[float, ...]  # over DAYPARTS
    weekend_boost: float
    female_share: float
    birth_year: tuple[float, float]  # mean, sd
    tier_p: tuple[float, float, float, float]  # city tier 1..4
    p_member: float
    p_account: float
    p_app: float
    p_wechat: float
    p_email: float
    nps_mean: float
    #: campaign response per TOUCH_CHANNEL (sms, push, email, wechat) at strength 1: > 0 the
    #: probability that a treated person makes one extra purchase in the attribution window,
    #: < 0 (minus) the probability that the touch puts them off buying for the rest of it
    uplift: tuple[float, float, float, float]
    #: campaign targeting weight per OBJECTIVE (acquisition, activation, retention, winback,
    #: awareness): the persona's odds of being in a campaign's audience
    targeting: tuple[float, float, float, float, float] = (1.0, 1.0, 1.0, 1.0, 1.0)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "loyal_high_spender", 0.10, 1 / 55, 4.0, 2.6, (6.0, 2.0), 3.0, (2.0, 6.0),
        (3.0, 5.0, 2.0, 3.0), (4, 4, 3, 3, 2, 1.5, 2, 1), 0.010, 5.0,
        (3, 5, 1.5, 1.5, 1.5, 0.3, 0.5, 0.4), 3000, 1.0,
        (0.03, 0.15, 0.2, 0.2, 0.32, 0.1), 1.15, 0.62, (1982, 8), (0.45, 0.35, 0.15, 0.05),
        0.85, 0.95, 0.90, 0.70, 0.80, 8.6,
        (-0.35, 0.03, 0.05, 0.04), targeting=(1.0, 1.0, 2.0, 1.0, 1.0),
    ),
    Persona(
        "bargain_hunter", 0.18, 1 / 200, 1.5, 1.7, (1.5, 5.0), 10.0, (6.0, 2.0),
        (3.0, 4.0, 4.0, 1.0), (2, 2, 1, 3, 4, 2, 1, 1), 0.0075, 5.0,
        (3, 4, 3, 2.5, 2, 0.5, 0.5, 0.3), 1600, 1.1,
        (0.06, 0.1, 0.2, 0.16, 0.33, 0.15), 1.1, 0.55, (1988, 9), (0.2, 0.3, 0.3, 0.2),
        0.45, 0.92, 0.85, 0.75, 0.55, 6.8,
        (0.10, 0.12, 0.08, 0.12), targeting=(1.0, 1.0, 1.5, 1.0, 1.0),
    ),
    Persona(
        "new_joiner", 0.13, 1 / 90, 1.2, 1.6, (3.0, 3.0), 3.5, (3.0, 4.0),
        (2.0, 4.0, 4.0, 1.0), (2, 2, 2, 2, 2, 2, 2, 1), 0.022, 5.0,
        (4, 4, 2, 1.5, 1, 0.5, 0.8, 0.5), 500, 0.8,
        (0.05, 0.12, 0.2, 0.18, 0.33, 0.12), 1.1, 0.52, (1993, 8), (0.3, 0.3, 0.25, 0.15),
        0.40, 0.90, 0.85, 0.70, 0.55, 7.4,
        (0.04, 0.08, 0.05, 0.07), targeting=(3.0, 2.0, 1.0, 1.0, 1.0),
    ),
    Persona(
        "lapsing", 0.16, 1 / 100, 1.5, 1.8, (3.0, 4.0), 3.0, (3.0, 5.0),
        (3.0, 3.0, 2.0, 2.0), (2, 2, 2, 2, 2, 1, 2, 1), 0.006, 4.0,
        (4, 4, 2, 1, 1, 0.3, 0.5, 0.3), 280, 1.3,
        (0.04, 0.15, 0.22, 0.2, 0.3, 0.09), 1.1, 0.5, (1985, 10), (0.25, 0.3, 0.25, 0.2),
        0.50, 0.85, 0.75, 0.55, 0.60, 5.2,
        (0.07, 0.05, 0.04, 0.06), targeting=(1.0, 1.0, 1.0, 3.0, 1.0),
    ),
    Persona(
        "content_browser", 0.14, 1 / 400, 1.0, 1.3, (3.0, 3.0), 2.5, (3.0, 4.0),
        (2.0, 5.0, 3.0, 0.5), (2, 3, 3, 2, 1, 1, 2, 3), 0.027, 6.5,
        (5, 3, 2, 0.5, 1.5, 1.2, 4, 3), 2400, 1.0,
        (0.08, 0.1, 0.17, 0.15, 0.3, 0.2), 1.2, 0.58, (1994, 7), (0.35, 0.35, 0.2, 0.1),
        0.25, 0.75, 0.97, 0.70, 0.50, 7.0,
        (-0.50, -0.25, 0.02, 0.04), targeting=(1.0, 2.0, 1.0, 1.0, 1.0),
    ),
    Persona(
        "store_only", 0.13, 1 / 70, 2.0, 2.3, (4.0, 3.0), 1.3, (2.0, 6.0),
        (0.05, 0.05, 0.05, 20.0), (1.5, 2, 1, 3, 5, 2, 1, 1), 0.001, 3.0,
        (4, 4, 1, 1, 1, 0.2, 0.2, 0.2), 1800, 1.0,
        (0.01, 0.25, 0.25, 0.3, 0.17, 0.02), 1.6, 0.6, (1972, 11), (0.3, 0.35, 0.25, 0.1),
        0.95, 0.05, 0.05, 0.25, 0.25, 7.8,
        (0.05, 0.0, 0.01, 0.02),
    ),
    Persona(
        "app_first_young", 0.16, 1 / 130, 1.5, 1.5, (2.0, 4.0), 4.5, (4.0, 4.0),
        (0.5, 6.0, 5.0, 0.5), (4, 3, 3, 1, 3, 0.3, 3, 1.5), 0.016, 5.0,
        (3, 4, 3, 2, 2, 1.5, 2, 2), 1300, 1.0,
        (0.1, 0.05, 0.15, 0.12, 0.3, 0.28), 1.2, 0.5, (2001, 4), (0.4, 0.35, 0.17, 0.08),
        0.30, 0.95, 0.98, 0.85, 0.55, 7.2,
        (-0.45, 0.08, -0.20, 0.06),
    ),
)
PERSONA_NAMES = tuple(p.name for p in PERSONAS)


def persona_array(field: str) -> np.ndarray:
    """One persona field as an array indexed by persona code (rows = personas)."""
    return np.array([getattr(p, field) for p in PERSONAS], dtype=np.float64)


# ----------------------------------------------------------------------------- campaigns
N_CAMPAIGNS = 30
#: conversion window: purchases on the local dates start date .. start date + 13 of a campaign
ATTRIBUTION_DAYS = 14
#: start dates at least this many days apart, so no two attribution windows overlap
CAMPAIGN_GAP_DAYS = ATTRIBUTION_DAYS + 1
#: |campaign response| is capped here (a probability)
MAX_RESPONSE = 0.9
#: a positive response of a person who has already churned (a reactivation), as a share of the
#: response of an active person, per OBJECTIVE (acquisition .. awareness): winback works best
DORMANT_RESPONSE = (0.2, 0.2, 0.2, 0.5, 0.2)


# ----------------------------------------------------------------------------- places
#: (city, tier, population weight)
CITIES: tuple[tuple[str, int, float], ...] = (
    ("上海", 1, 10), ("北京", 1, 10), ("广州", 1, 8), ("深圳", 1, 8),
    ("成都", 2, 7), ("杭州", 2, 6), ("重庆", 2, 7), ("武汉", 2, 6), ("西安", 2, 5),
    ("苏州", 2, 5), ("南京", 2, 5), ("天津", 2, 5), ("长沙", 2, 4), ("郑州", 2, 4),
    ("青岛", 3, 3), ("宁波", 3, 3), ("厦门", 3, 2), ("合肥", 3, 3), ("昆明", 3, 2),
    ("大连", 3, 2), ("福州", 3, 2), ("济南", 3, 2), ("南昌", 3, 2), ("佛山", 3, 2),
    ("洛阳", 4, 1.5), ("绵阳", 4, 1), ("桂林", 4, 1), ("扬州", 4, 1.2), ("赣州", 4, 1),
    ("潍坊", 4, 1.2), ("襄阳", 4, 1), ("湛江", 4, 1),
)
CITY_NAMES = [c[0] for c in CITIES]
CITY_TIER = np.array([c[1] for c in CITIES], dtype=np.int8)
CITY_WEIGHT = np.array([c[2] for c in CITIES], dtype=np.float64)

PHONE_PREFIXES = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
    158, 159, 166, 173, 175, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191,
    198, 199,
)

# ----------------------------------------------------------------------------- names
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"),
)
#: Surname draw weights (the most common surnames are much more common).
SURNAME_WEIGHT = np.array([1.0 / (i + 3) for i in range(len(SURNAMES))])
GIVEN_MALE = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("浩然", "haoran"), ("子轩", "zixuan"), ("宇航", "yuhang"), ("俊杰", "junjie"),
    ("建华", "jianhua"), ("志强", "zhiqiang"), ("鹏", "peng"), ("斌", "bin"),
    ("晨", "chen"), ("博文", "bowen"),
)
GIVEN_FEMALE = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("艳", "yan"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("欣怡", "xinyi"),
    ("梓涵", "zihan"), ("诗涵", "shihan"), ("雨桐", "yutong"), ("佳怡", "jiayi"),
    ("秀英", "xiuying"), ("桂芳", "guifang"), ("慧", "hui"), ("倩", "qian"),
    ("颖", "ying"), ("思雨", "siyu"),
)
GIVEN = GIVEN_MALE + GIVEN_FEMALE
EMAIL_DOMAINS = (
    "qq.com", "qq.com", "qq.com", "qq.com", "qq.com", "qq.com", "qq.com", "qq.com",
    "163.com", "163.com", "163.com", "163.com", "126.com", "126.com", "gmail.com",
    "outlook.com", "hotmail.com", "sina.com", "foxmail.com", "139.com",
)

# ----------------------------------------------------------------------------- vocabularies
SEARCH_TERMS: dict[str, list[str]] = {
    "apparel": ["连衣裙", "卫衣", "羽绒服", "牛仔裤", "T恤", "dress"],
    "beauty": ["面霜", "口红", "精华", "防晒", "香水", "lipstick"],
    "electronics": ["耳机", "手机壳", "充电宝", "平板", "键盘", "airpods"],
    "home": ["四件套", "收纳盒", "锅", "台灯", "枕头"],
    "food": ["零食", "坚果", "咖啡", "茶叶", "牛奶"],
    "baby": ["纸尿裤", "奶粉", "玩具", "婴儿车"],
    "sports": ["跑鞋", "瑜伽垫", "帐篷", "骑行服"],
    "books": ["小说", "考研", "漫画", "管理"],
}
CONTENT_TYPES = ("video", "article", "live", "post")
UTM = (  # (source, medium, weight)
    ("baidu", "cpc", 3), ("wechat", "social", 4), ("douyin", "video", 4),
    ("xiaohongshu", "social", 3), ("sms", "sms", 1), ("email", "edm", 1), ("weibo", "social", 1),
)
COUPONS = (  # (code, value in yuan, minimum spend)
    ("NEW20", 20, 99), ("VIP88", 88, 599), ("MJ50", 50, 299), ("618-100", 100, 599),
    ("D11-150", 150, 799), ("FREESHIP", 10, 59), ("BDAY30", 30, 199), ("WINBACK40", 40, 199),
)
TICKET_COMMENTS = (
    "物流太慢", "客服态度很好", "已解决，谢谢", "商品有破损", "退款很快", "等了很久才回复",
    "问题没有解决", "发票已收到", "尺码不合适", "非常满意", "",
)
CAMPAIGN_THEMES = (
    "新春焕新", "春季上新", "会员日", "618预热", "618狂欢", "夏日清凉", "开学季", "国庆出游",
    "双11预售", "双11狂欢", "双12返场", "年货节", "沉睡唤醒", "新客礼包", "生日关怀",
)
