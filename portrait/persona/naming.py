"""Persona names from centroid profiles, in Chinese and English, without stored state.

Each centroid is a point in the standardised feature space (z-scores against the profiled
population). Its name is made of its two strongest traits — the features where it sits
furthest from the average in a direction that has a name below — so a re-fit that finds the
same groups gives them the same names, whatever order k-means returned them in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portrait.persona.features import FEATURE_NAMES

#: A centroid must sit this many standard deviations from the mean for a trait to name it.
MIN_TRAIT_Z = 0.4


@dataclass(frozen=True)
class Trait:
    feature: str
    sign: int  # +1: above the average, -1: below
    code: str
    zh: str
    en: str


#: In the order names are spelt: lifecycle, then channel and interest, then frequency, then
#: basket, then time and age (e.g. 新入高频浏览型, 门店少上线型, 高频高客单型).
TRAITS: tuple[Trait, ...] = (
    Trait("tenure_days", -1, "newcomer", "新入", "newly-joined"),
    Trait("days_since_last_active", 1, "lapsing", "沉睡", "lapsing"),
    Trait("days_since_last_active", -1, "recently_active", "近期活跃", "recently-active"),
    Trait("store_order_share", 1, "store_first", "门店", "store-first"),
    Trait("miniprogram_event_share", 1, "miniprogram", "小程序", "mini-program"),
    Trait("content_engagement_share", 1, "content_browsing", "内容浏览", "content-browsing"),
    Trait("share_event_share", 1, "social_sharing", "爱分享", "social-sharing"),
    Trait("discount_share", 1, "deal_seeking", "优惠敏感", "deal-seeking"),
    Trait("orders_per_year", 1, "frequent", "高频", "frequent"),
    Trait("orders_per_year", -1, "rarely_buying", "少购", "rarely-buying"),
    Trait("sessions_per_30d", 1, "heavy_browsing", "高频浏览", "heavy-browsing"),
    Trait("sessions_per_30d", -1, "offline", "少上线", "rarely-online"),
    Trait("events_per_session", 1, "deep_sessions", "深度浏览", "deep-browsing"),
    Trait("avg_order_value", 1, "big_basket", "高客单", "big-basket"),
    Trait("avg_order_value", -1, "small_basket", "低客单", "small-basket"),
    Trait("avg_unit_price", 1, "premium", "高价位", "premium"),
    Trait("lines_per_order", 1, "multi_item", "多件", "multi-item"),
    Trait("cart_add_share", 1, "cart_building", "加购", "cart-building"),
    Trait("evening_event_share", 1, "evening", "夜间活跃", "evening"),
    Trait("age_years_approx", -1, "young", "年轻", "young"),
    Trait("age_years_approx", 1, "mature", "成熟", "mature"),
)

BALANCED = Trait("", 0, "balanced", "均衡", "balanced")


@dataclass(frozen=True)
class PersonaName:
    code: str
    name_zh: str
    name_en: str


def ranked_traits(centroid: np.ndarray) -> list[Trait]:
    """The traits of one centroid (z-scores in `FEATURE_NAMES` order), strongest first;
    one trait per feature, only those at least `MIN_TRAIT_Z` from the mean."""
    z = dict(zip(FEATURE_NAMES, centroid))
    scored = sorted(((z[t.feature] * t.sign, t.code, t) for t in TRAITS if z[t.feature] * t.sign >= MIN_TRAIT_Z),
                    key=lambda item: (-item[0], item[1]))
    seen: set[str] = set()
    traits = []
    for _, _, trait in scored:
        if trait.feature not in seen:
            seen.add(trait.feature)
            traits.append(trait)
    return traits


def _name(traits: list[Trait]) -> PersonaName:
    if not traits:
        traits = [BALANCED]
    # the strongest traits chosen, spelt in the fixed order of TRAITS: two close z-scores
    # swapping places between runs never renames a persona
    traits = sorted(traits, key=TRAITS.index) if traits != [BALANCED] else traits
    return PersonaName(
        code="_".join(t.code for t in traits),
        name_zh="".join(t.zh for t in traits) + "型",
        name_en=" ".join(t.en for t in traits) + " shoppers",
    )


def persona_names(centroids: np.ndarray, words: int = 2) -> list[PersonaName]:
    """A distinct name for each centroid (rows, in canonical order): its `words` strongest
    traits, one more for every centroid whose name would collide with another's, and a
    number (in row order) as a last resort."""
    traits = [ranked_traits(c) for c in centroids]
    depth = [words] * len(centroids)
    while True:
        names = [_name(t[:n]) for t, n in zip(traits, depth)]
        codes = [n.code for n in names]
        clashing = [i for i, code in enumerate(codes) if codes.count(code) > 1 and depth[i] < len(traits[i])]
        if not clashing:
            break
        for i in clashing:
            depth[i] += 1
    result, used = [], {}
    for name in names:
        used[name.code] = used.get(name.code, 0) + 1
        if [n.code for n in names].count(name.code) > 1:
            suffix = used[name.code]
            name = PersonaName(f"{name.code}_{suffix}", f"{name.name_zh}{suffix}", f"{name.name_en} {suffix}")
        result.append(name)
    return result
