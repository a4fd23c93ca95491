"""Canonical identifier forms in Python (mirrors macros/identity/normalise.sql).

Used by the CLI (`portrait explain` accepts identifiers the way people type them) and
by tests that check staging independently.
"""

from __future__ import annotations

import re

IDENTIFIER_TYPES = (
    "member_id", "card_no", "account_id", "phone", "email", "device_id", "anonymous_id", "openid", "unionid",
)
_PHONE_PUNCTUATION = re.compile(r"[\s\-.()+（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[a-z0-9!#$%&*+/=?^_`{|}~.\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}")


def canonical_phone(raw: str | None) -> str | None:
    if raw is None:
        return None
    raw = raw.strip()
    if re.fullmatch(r"\d+\.0", raw):  # a phone written as a float (pandas with gaps)
        raw = raw[:-2]
    digits = _PHONE_PUNCTUATION.sub("", raw)
    if re.fullmatch(r"0086\d{11}", digits):
        digits = digits[4:]
    elif re.fullmatch(r"86\d{11}", digits):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def canonical_email(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    return value if _EMAIL.fullmatch(value) else None


def canonical(identifier_type: str, raw: str | None) -> str | None:
    """The canonical form of `raw` as an identifier of `identifier_type` (None if invalid)."""
    if identifier_type not in IDENTIFIER_TYPES:
        raise ValueError(f"unknown identifier type {identifier_type!r}; one of {', '.join(IDENTIFIER_TYPES)}")
    if raw is None:
        return None
    if identifier_type == "phone":
        return canonical_phone(raw)
    if identifier_type == "email":
        return canonical_email(raw)
    value = raw.strip()
    if identifier_type in ("device_id", "anonymous_id"):
        value = value.lower()
    return value or None
