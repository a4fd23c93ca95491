"""Shared pytest fixtures.

Generator fixtures (section below): one tiny dataset per test session, generated into
pytest's temporary folders, never into data/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portrait.generate import generate

# ----------------------------------------------------------------------------- generator
TINY_SEED = 42


@pytest.fixture(scope="session")
def tiny_generation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The tiny dataset (seed 42, up to the as-of date) and the summary `generate` returned."""
    out = tmp_path_factory.mktemp("tiny_dataset")
    summary = generate("tiny", TINY_SEED, out, progress=False)
    return out, summary


@pytest.fixture(scope="session")
def tiny_dataset(tiny_generation: tuple[Path, dict]) -> Path:
    """Folder holding `raw/` (the 13 raw tables) and `truth/` of the tiny dataset."""
    return tiny_generation[0]


# ----------------------------------------------------------------------------- warehouse
# One `dbt build` on the tiny dataset, shared by every test that needs a warehouse.
from warehouse_fixtures import tiny_nightly, tiny_warehouse  # noqa: E402,F401
