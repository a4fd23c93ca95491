"""Synthetic raw data and ground truth for portrait (docs/generator.md).

`generate(scale, seed, out, until=None, progress=True)` writes `out/raw/<table>/*.parquet`
(the 13 raw tables of docs/contracts.md) and `out/truth/*.parquet`.
"""

from .config import AS_OF_DATE, SCALES, Scale
from .contract import RAW_CONTRACT
from .core import GeneratorError, generate

__all__ = ["AS_OF_DATE", "SCALES", "Scale", "RAW_CONTRACT", "GeneratorError", "generate"]
