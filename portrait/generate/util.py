"""Small vectorised helpers."""

from __future__ import annotations

import numpy as np

NULL_MS = np.int64(-(2**62))  # a NULL timestamp inside int64 millisecond columns


def rank_in_groups(counts: np.ndarray) -> np.ndarray:
    """0..count-1 for each group, concatenated (groups laid out consecutively)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def rank_sorted(group: np.ndarray) -> np.ndarray:
    """Rank of each element inside runs of equal values of a sorted array."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = group[1:] != group[:-1]
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(new, idx, 0))
    return idx - first


def last_in_groups(group: np.ndarray) -> np.ndarray:
    """Mask of the last element of each run of equal values (array sorted by group)."""
    n = len(group)
    last = np.ones(n, dtype=bool)
    if n:
        last[:-1] = group[1:] != group[:-1]
    return last


def categorical(rng: np.random.Generator, cdf_rows: np.ndarray) -> np.ndarray:
    """One draw per row of a (m, k) cumulative probability matrix."""
    u = rng.random(len(cdf_rows))
    return np.minimum((u[:, None] > cdf_rows).sum(1), cdf_rows.shape[1] - 1)


def choice_p(rng: np.random.Generator, n: int, p: list[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return rng.choice(len(p), n, p=p / p.sum()).astype(np.int16)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Bijective 64-bit mixer (splitmix64 finaliser): distinct inputs give distinct outputs."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def concat_tables(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if p]
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def take(table: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in table.items()}


def nrows(table: dict[str, np.ndarray]) -> int:
    return len(next(iter(table.values())))
