"""Wall time and peak memory of one child process, and the facts about the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Measured:
    """One child process: wall seconds, peak resident memory (GB) and exit code."""

    seconds: float
    peak_rss_gb: float
    returncode: int
    #: when the sampled resident memory was highest (epoch seconds) and what it was (GB)
    sampled_peak_at: float | None = None
    sampled_peak_gb: float | None = None
    samples: list[tuple[float, float]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {"seconds": round(self.seconds, 2), "peak_rss_gb": round(self.peak_rss_gb, 3)}


def _rss_gb(pid: int) -> float | None:
    """Resident memory of `pid` now (Linux /proc), or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024**2
    except (OSError, ValueError):
        return None
    return None


class _Sampler(threading.Thread):
    """Reads a child's resident memory every `interval` seconds, so the peak can be placed
    in time (which dbt nodes were running). The peak itself is the kernel's count."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.samples = pid, interval, []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            rss = _rss_gb(self.pid)
            if rss is not None:
                self.samples.append((time.time(), rss))


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
            label: str = "", check: bool = True) -> Measured:
    """Run `command` as a child (its output goes to this process's stderr, so a `--json`
    report on stdout stays clean) and return its wall time and peak RSS.

    The peak is the kernel's own count for that child and the processes it waited for
    (`wait4`'s `ru_maxrss`), so it covers dbt's in-process Python models, with nothing
    sampled and nothing missed between samples. Raises RuntimeError on a non-zero exit,
    naming `label`, unless `check` is false."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=sys.stderr, stderr=sys.stderr)
    sampler = _Sampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    sampler.stopped.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    measured = Measured(seconds=seconds, peak_rss_gb=usage.ru_maxrss / 1024**2, returncode=process.returncode,
                        samples=sampler.samples)
    if sampler.samples:
        measured.sampled_peak_at, measured.sampled_peak_gb = max(sampler.samples, key=lambda sample: sample[1])
    if check and measured.returncode != 0:
        raise RuntimeError(f"{label or command[0]} failed with exit code {measured.returncode} "
                           f"after {seconds:.1f} s (its output is above)")
    return measured


def machine() -> dict:
    """Cores, memory and the versions that move the numbers."""
    import duckdb

    try:
        from importlib.metadata import version

        dbt_version = version("dbt-core")
    except Exception:  # pragma: no cover - dbt is a dependency
        dbt_version = None
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt_version,
    }
