"""Write small raw landing zones by hand, for tests of specific cases.

Every table of the raw contract is written (tables without rows as an empty file with
all columns), every column as text, missing columns as NULL.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from portrait.generate.contract import RAW_CONTRACT


def write_raw(raw_dir: Path, tables: dict[str, list[dict]], file_name: str = "part-0001.parquet") -> None:
    """Write `tables` (raw table -> rows as dicts) into `raw_dir/<table>/<file_name>`."""
    unknown = set(tables) - set(RAW_CONTRACT)
    if unknown:
        raise ValueError(f"not raw contract tables: {sorted(unknown)}")
    for table, columns in RAW_CONTRACT.items():
        rows = tables.get(table, [])
        for row in rows:
            extra = set(row) - set(columns)
            if extra:
                raise ValueError(f"{table}: columns not in the contract: {sorted(extra)}")
        folder = raw_dir / table
        folder.mkdir(parents=True, exist_ok=True)
        data = {c: pa.array([None if r.get(c) is None else str(r[c]) for r in rows], pa.string()) for c in columns}
        pq.write_table(pa.table(data), folder / file_name)
