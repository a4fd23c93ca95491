"""`portrait eval lookalike`: does lookalike expansion find persons like the seed?

For each latent persona of the generator's truth, a seed of up to `seed_size` (1,000)
random warehouse persons of that persona is expanded to the `n` (1,000) most similar
persons outside it (portrait.activation.lookalike, the method the warehouse runs), and
scored against the truth:

- `precision_at_n`: the share of the `n` who truly have the seed's persona;
- `lift_over_random`: that share over the persona's share of everyone outside the seed
  (what `n` random persons would give);
- `baseline_lift`: the same lift for a rule an analyst would write without a model: the
  persons outside the seed in the seed's most common RFM segment and lifecycle stage.

The top level reports each figure's mean over personas; `by_seed` has every persona and a
second seed, the truth's top decile of spend in the 365 days after the as-of date (a seed
of future big spenders: can the expansion find more of them?). Personas with fewer than
`2 * min_seed` matched persons are skipped (named under `skipped`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from portrait.activation.lookalike import FEATURES, score
from portrait.evaluate.truth import require_truth, true_person_ctes

MIN_SEED = 50


def _frame(warehouse: Path, truth_dir: Path) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"""
            with {true_person_ctes(truth_dir)}
            select features.person_id, {', '.join('features.' + c for c in FEATURES)},
                persons.persona as true_persona, coalesce(future.spend_365d, 0) as future_spend_365d,
                person.rfm_segment, person.lifecycle_segment
            from intermediate.int_persona__features as features
            inner join marts.dim_person as person using (person_id)
            inner join true_person using (person_id)
            inner join read_parquet('{truth_dir / "persons.parquet"}') as persons using (person_key)
            left join read_parquet('{truth_dir / "future.parquet"}') as future using (person_key)
            order by features.person_id
        """).df()
    finally:
        con.close()


def _measure(frame: pd.DataFrame, is_target: np.ndarray, seed_size: int, n: int, rng) -> dict:
    targets = np.flatnonzero(is_target)
    size = min(seed_size, len(targets) // 2)
    seed_index = rng.choice(targets, size=size, replace=False)
    seed = set(frame["person_id"].to_numpy()[seed_index])
    outside = ~frame["person_id"].isin(seed).to_numpy()
    base_rate = is_target[outside].mean()
    top = min(n, int(outside.sum()))
    scored = score(frame, seed, random_state=int(rng.integers(0, 2**31 - 1)))
    target_ids = set(frame["person_id"].to_numpy()[is_target])
    precision = float(scored["person_id"].head(top).isin(target_ids).mean())
    seeds = frame[frame["person_id"].isin(seed)]
    segment = seeds.groupby(["rfm_segment", "lifecycle_segment"]).size().idxmax()
    rule = outside & (frame["rfm_segment"] == segment[0]).to_numpy() & (frame["lifecycle_segment"] == segment[1]).to_numpy()
    rule_precision = float(is_target[rule].mean()) if rule.any() else 0.0
    return {
        "seed_persons": size, "n": top, "base_rate": round(float(base_rate), 4),
        "precision_at_n": round(precision, 4), "lift_over_random": round(precision / base_rate, 3),
        "baseline_rule": f"rfm_segment = {segment[0]} and lifecycle_segment = {segment[1]}",
        "baseline_persons": int(rule.sum()), "baseline_precision": round(rule_precision, 4),
        "baseline_lift": round(rule_precision / base_rate, 3),
    }


def evaluate_lookalike(warehouse: Path, truth_dir: Path, seed: int = 42, seed_size: int = 1000,
                       n: int = 1000) -> dict:
    require_truth("eval lookalike", truth_dir, "identity.parquet", "persons.parquet", "future.parquet")
    frame = _frame(warehouse, truth_dir)
    rng = np.random.default_rng(seed)
    by_seed, skipped = {}, []
    for persona in sorted(frame["true_persona"].unique()):
        is_target = (frame["true_persona"] == persona).to_numpy()
        if is_target.sum() < 2 * MIN_SEED:
            skipped.append(persona)
            continue
        by_seed[f"persona:{persona}"] = _measure(frame, is_target, seed_size, n, rng)
    spend = frame["future_spend_365d"].to_numpy()
    is_top = spend >= np.quantile(spend, 0.9) if (spend > 0).any() else np.zeros(len(frame), bool)
    is_top &= spend > 0
    if is_top.sum() >= 2 * MIN_SEED:
        by_seed["top_spend_decile_365d"] = _measure(frame, is_top, seed_size, n, rng)
    personas = [v for k, v in by_seed.items() if k.startswith("persona:")]
    if not personas:
        raise SystemExit("portrait eval lookalike: no persona has enough matched persons for a seed")
    return {
        "precision_at_n": round(float(np.mean([p["precision_at_n"] for p in personas])), 4),
        "lift_over_random": round(float(np.mean([p["lift_over_random"] for p in personas])), 3),
        "baseline_lift": round(float(np.mean([p["baseline_lift"] for p in personas])), 3),
        "persons": int(len(frame)), "seed_size": seed_size, "n": n, "seed": seed, "skipped": skipped,
        "method": "portrait.activation.lookalike: HistGradientBoosting seed-vs-population on int_persona__features, "
                  "3-fold cross-fitted over the unlabelled",
        "by_seed": by_seed,
    }


__all__ = ["evaluate_lookalike"]
