"""OpenMP threads for the prediction models inside a build.

dbt-duckdb runs the Python models in the dbt process, beside SQL models whose DuckDB
queries use every core. scikit-learn's gradient boosting and k-means run on OpenMP
threads (one per core by default), and OpenMP threads that share their cores with other
busy threads wait for each other at every barrier. On `large` (2 cores) the churn fit took
18.8 s alone and 82.8 s beside a 2-thread DuckDB query; with one OpenMP thread it took
49.6 s beside the same query, and the query finished 23 s sooner too (bench/README.md,
"Python models: one OpenMP thread beside DuckDB").

So each prediction model runs its fit or scoring inside `fit_threads()`: OpenMP limited to
`PORTRAIT_MODEL_THREADS` threads, by default half the cores this process may use (at
least one). OpenMP's limit belongs to the calling thread (the dbt worker running that
model), so the SQL models and the other Python models are not touched. BLAS is left
alone: its limit is process-wide, and two models limiting and restoring it at once would
leave it wrong for each other.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from threadpoolctl import threadpool_limits

ENV = "PORTRAIT_MODEL_THREADS"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's cpuset), else all."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def model_thread_limit(env: Mapping[str, str] | None = None, cpu_count: int | None = None) -> int:
    """`PORTRAIT_MODEL_THREADS` if set (a positive integer), else half the usable cores, at least 1."""
    env = os.environ if env is None else env
    value = env.get(ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{ENV} must be a positive integer (OpenMP threads of the model fits), got {value!r}")
        return int(value)
    cores = cpu_count if cpu_count is not None else usable_cores()
    return max(1, cores // 2)


@contextlib.contextmanager
def fit_threads() -> Iterator[int]:
    """Limit this thread's OpenMP threads to `model_thread_limit()` for the block; yields the limit."""
    limit = model_thread_limit()
    with threadpool_limits(limits=limit, user_api="openmp"):
        yield limit
