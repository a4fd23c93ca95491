"""Fault points for the fault suite (tests only): a named place where a process dies as a
SIGKILL or a power cut would kill it, when `PORTRAIT_RUN_FAULT` names that place. A race-free
way to stop `portrait run` or an export at its most delicate moments."""

from __future__ import annotations

import os
import signal

FAULT_ENV = "PORTRAIT_RUN_FAULT"


def fault_point(name: str) -> None:
    """Die here (SIGKILL: no cleanup, no `finally`) when `PORTRAIT_RUN_FAULT` is `name`."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["FAULT_ENV", "fault_point"]
