"""Identifier value spaces: each identifier is an int64 inside the generator.

`render.py` turns the ints into raw text (and canonical text for the truth) in DuckDB.
Negative values are placeholders and NULLs (see `SPECIAL`); they never link anyone.
"""

from __future__ import annotations

import numpy as np

from . import config as C

#: identifier type codes (order of contract.IDENTIFIER_TYPES)
MEMBER, CARD, ACCOUNT, PHONE, EMAIL, DEVICE, ANON, OPENID, UNIONID = range(9)
TYPE_SHIFT = 56

#: Special values of any identifier column: NULL and placeholder strings.
NULL = -1
SPECIAL: dict[int, str] = {
    -2: "",
    -3: "null",
    -4: "NULL",
    -5: "undefined",
    -6: "unknown",
    -7: "-",
    -8: "test@test.com",
    -9: "test@example.com",
    -10: "noreply@portrait-shop.cn",
    -11: "a@a.com",
    -12: "00000000-0000-0000-0000-000000000000",
}
GENERIC_PLACEHOLDERS = np.array([-2, -3, -4, -5, -6, -7])
TEST_EMAILS = np.array([-8, -9, -10, -11])
ZERO_DEVICE = -12
#: Placeholder phone values (rendered as digits): 1 renders as 00000000000.
PHONE_ZEROS = 1
PLACEHOLDER_PHONES = np.array([PHONE_ZEROS, 13800138000, 11111111111, 12345678901], dtype=np.int64)

_PREFIX = np.array(C.PHONE_PREFIXES, dtype=np.int64)
_MOD8 = 100_000_000


def phone_from_slot(seed: int, slot: np.ndarray) -> np.ndarray:
    """A distinct mainland mobile number per slot (bijective within a prefix), never a placeholder."""
    slot = np.asarray(slot, dtype=np.int64)
    pre = _PREFIX[slot % len(_PREFIX)]
    a = 48_271_013 + 2 * (seed % 1000)  # odd and not a multiple of 5: a unit mod 10^8
    if a % 5 == 0:
        a += 2
    suffix = ((slot // len(_PREFIX)) * a + 12_345_678 + seed * 7919) % _MOD8
    same = suffix == (pre % 10) * 11_111_111  # `1[3-9]` + nine identical digits
    bad = same | np.isin(pre * _MOD8 + suffix, [13800138000, 13900139000, 13888888888])
    suffix = np.where(bad, (suffix + 1) % _MOD8, suffix)
    return pre * _MOD8 + suffix


def node(kind: int, value: np.ndarray) -> np.ndarray:
    """Graph node id of an identifier value (type in the high bits)."""
    return (np.int64(kind) << TYPE_SHIFT) | value.astype(np.int64)


def is_real(kind: int, value: np.ndarray) -> np.ndarray:
    """True where a value is a real identifier (not NULL, not a placeholder)."""
    ok = value >= 0
    if kind == PHONE:
        ok &= ~np.isin(value, PLACEHOLDER_PHONES)
    return ok


def email_value(pid: np.ndarray, surname: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Packed email value: person id, surname and given-name indices (rendered as pinyin)."""
    return (pid.astype(np.int64) << 16) | (surname.astype(np.int64) << 8) | given.astype(np.int64)
