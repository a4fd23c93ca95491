"""How each ad platform wants a phone or an e-mail hashed (lowercase hex digests).

The input is the warehouse's canonical form: an 11-digit mainland mobile (`13800138000`)
and a trimmed, lower-case e-mail.

| platform | phone | e-mail |
|---|---|---|
| `ad_meta` (Meta Custom Audiences) | SHA-256 of the digits with country code, no `+` (`8613800138000`) | SHA-256 of the trimmed, lower-case address |
| `ad_google` (Google Customer Match) | SHA-256 of E.164 with `+` (`+8613800138000`) | SHA-256 of the address normalised as Google documents: trimmed, lower case, and for `gmail.com` / `googlemail.com` every `.` before the `@` removed |
| `ad_tencent` (Tencent Ads 广点通 customer files) | MD5 of the 11-digit mobile | none |
"""

from __future__ import annotations

import hashlib

COUNTRY_CODE = "86"


def e164(phone: str, country_code: str = COUNTRY_CODE) -> str:
    """`phone` is the national number (the warehouse holds 11-digit mainland mobiles)."""
    return f"+{country_code}{phone}"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def meta_phone(phone: str, country_code: str = COUNTRY_CODE) -> str:
    return sha256_hex(f"{country_code}{phone}")


def meta_email(email: str) -> str:
    return sha256_hex(email.strip().lower())


def google_email_normalised(email: str) -> str:
    local, _, domain = email.strip().lower().partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
    return f"{local}@{domain}"


def google_phone(phone: str, country_code: str = COUNTRY_CODE) -> str:
    return sha256_hex(e164(phone, country_code))


def google_email(email: str) -> str:
    return sha256_hex(google_email_normalised(email))


def tencent_phone(phone: str) -> str:
    return hashlib.md5(phone.encode("utf-8")).hexdigest()


__all__ = ["e164", "meta_phone", "meta_email", "google_phone", "google_email", "google_email_normalised",
           "tencent_phone"]
