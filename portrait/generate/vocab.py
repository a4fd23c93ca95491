"""Raw spellings of enums (docs/raw_formats.md): what the generator writes.

Each enum is a list of raw spellings and, beside it, the canonical code each spelling
means (`None` = unmapped: junk, quarantined by staging as `unmapped_enum`). Internal
columns hold an index into the spelling list; `render.py` turns it into text.
"""

from __future__ import annotations

import numpy as np


class Enum:
    """Raw spellings of one enum: the canonical codes first, then variants, then junk."""

    def __init__(self, canonical: list[str], variants: dict[str, list[str]], junk: list[str]):
        self.canonical = list(canonical)
        self.spellings = list(canonical)
        self.canon_of = list(range(len(canonical)))
        for code, spelled in variants.items():
            for s in spelled:
                self.spellings.append(s)
                self.canon_of.append(self.canonical.index(code))
        self.junk_start = len(self.spellings)
        self.spellings += junk
        self.canon_of += [-1] * len(junk)
        self._variants_by_code = [
            np.array([i for i, c in enumerate(self.canon_of) if c == k and i != k] or [k])
            for k in range(len(canonical))
        ]

    def code(self, name: str) -> int:
        return self.canonical.index(name)

    def spell(self, rng: np.random.Generator, codes: np.ndarray, p_variant: float) -> np.ndarray:
        """Spelling index per canonical code: mostly the canonical text, sometimes a variant."""
        out = codes.astype(np.int16)
        variant = rng.random(len(codes)) < p_variant
        if variant.any():
            idx = np.flatnonzero(variant)
            for k, options in enumerate(self._variants_by_code):
                sel = idx[codes[idx] == k]
                if len(sel):
                    out[sel] = options[rng.integers(0, len(options), len(sel))]
        return out

    def junk(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(self.junk_start, len(self.spellings), n).astype(np.int16)


GENDER = Enum(
    ["1", "2", "0"],
    {"1": ["男", "M", "m", "male", "Male"], "2": ["女", "F", "f", "female", "Female"], "0": ["9", ""]},
    ["xx", "other?"],
)
REGISTER_CHANNEL = Enum(
    ["store", "web", "app", "miniprogram", "wechat_oa"],
    {"miniprogram": ["mini_program"], "store": ["Store"]},
    ["desktop_v2", "kiosk??"],
)
ORDER_STATUS = Enum(
    ["paid", "shipped", "completed", "refunded", "cancelled"],
    {"paid": ["PAID", " paid"], "completed": [" Completed ", "COMPLETED"], "cancelled": ["canceled"],
     "shipped": ["Shipped"], "refunded": ["REFUNDED"]},
    ["unknown_status", "pending??"],
)
ORDER_PLATFORM = Enum(
    ["web", "app", "miniprogram"],
    {"miniprogram": ["mini_program", "MiniProgram"], "web": ["WEB"], "app": ["APP"]},
    ["desktop_v2", "xx"],
)
EVENT_PLATFORM = Enum(
    ["ios", "android", "web", "miniprogram"],
    {"ios": ["iOS"], "android": ["Android"], "miniprogram": ["mini_program"]},
    ["desktop_v2", "harmony_beta"],
)
EVENT_NAME = Enum(
    ["page_view", "product_view", "search", "add_to_cart", "favorite", "share", "video_play",
     "content_like", "login", "register", "checkout", "push_open"],
    {"favorite": ["favourite"]},
    ["unknown_event", "xx_click"],
)
TICKET_CHANNEL = Enum(["phone", "online_chat", "email", "wechat", "app"], {}, ["fax", "xx"])
TICKET_CATEGORY = Enum(
    ["inquiry", "complaint", "return", "logistics", "invoice", "other"], {}, ["xx", "unknown_cat"]
)
TOUCH_CHANNEL = Enum(["sms", "push", "email", "wechat"], {}, ["carrier_pigeon", "xx"])
RECIPIENT_TYPE = Enum(["phone", "email", "device_id", "openid", "account_id"], {}, ["fax_no"])
ASSIGNED_GROUP = Enum(["treatment", "control"], {}, ["xx", "tbd"])
OBJECTIVE = Enum(["acquisition", "activation", "retention", "winback", "awareness"], {}, ["xx"])
PAYMENT = Enum(["cash", "card", "wechat_pay", "alipay", "unionpay"], {}, ["bitcoin", "xx"])
REQUEST_TYPE = Enum(["marketing_opt_out", "marketing_opt_in", "erasure"], {}, ["unsubscribe_all??", "xx"])
ID_TYPE = Enum(
    ["member_id", "card_no", "account_id", "phone", "email", "device_id", "anonymous_id", "openid",
     "unionid"],
    {},
    ["passport"],
)
AGE_BAND = Enum(["<18", "18-24", "25-34", "35-44", "45-54", "55+", ""], {}, ["xx", "100+"])
INCOME_BAND = Enum(["low", "mid", "high", ""], {}, ["xx", "rich"])
SUBSCRIBED = Enum(["1", "0"], {"1": ["true", "True", "Y", "是"], "0": ["false", "False", "N", "否"]}, [])

#: Junk timestamp strings (reason `unparseable_timestamp`).
JUNK_TIMESTAMPS = ["not a date", "0000-00-00 00:00:00", "2025-13-45 99:99:99", "N/A"]
#: Junk amount strings: unparseable, then absurd.
JUNK_AMOUNT_TEXT = ["abc", "N/A", "--"]
JUNK_AMOUNT_ABSURD = ["99999999.00", "123456789.99", "-99999999.00"]
