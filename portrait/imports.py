"""One import at a time across threads.

dbt-duckdb runs Python models in-process, two or more at once on worker threads. Two
threads importing scikit-learn (or pymc) for the first time at the same moment can see
each other's half-initialised modules ("cannot import name 'clone' from partially
initialized module 'sklearn.base'"). Every Python model imports its logic inside
`serial_imports()`, so the first import of each heavy library runs on one thread alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator

_LOCK = threading.RLock()


@contextlib.contextmanager
def serial_imports() -> Iterator[None]:
    with _LOCK:
        yield


def fitted_at() -> dt.datetime:
    """When a fit model ran (UTC, to the microsecond, naive): the key of its row in
    `fct_model_runs`, so rebuilding the log never duplicates or re-dates a fit."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
