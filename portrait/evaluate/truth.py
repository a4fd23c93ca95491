"""Matching warehouse persons to the generator's true persons, for the evaluations."""

from __future__ import annotations

from pathlib import Path


def require_truth(command: str, truth_dir: Path, *names: str) -> None:
    for name in names:
        if not (truth_dir / name).exists():
            raise SystemExit(f"portrait {command}: no {truth_dir / name}: generate data with `portrait generate`")


def true_person_ctes(truth_dir: Path) -> str:
    """SQL CTEs (to follow `with`) ending in `true_person` (`person_id`, `person_key`):
    each warehouse person matched to the true person behind most of its identifiers
    (joined on `identifier_type`, `identifier_value`; ties: the smaller key)."""
    return f"""
        truth as (
            select * from read_parquet('{truth_dir / "identity.parquet"}')
        ),
        votes as (
            select person_map.person_id, truth.person_key, count(*) as identifiers
            from intermediate.int_identity__person_map as person_map
            inner join truth using (identifier_type, identifier_value)
            group by all
        ),
        true_person as (
            select person_id, arg_min(person_key, (-identifiers, person_key)) as person_key
            from votes group by person_id
        )"""
