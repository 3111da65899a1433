"""What every probe returns, and the small helpers the probes share.

Probes are plain async functions `probe(target, spec, timeout, state) -> ProbeResult`: no ORM, no
Django, so they are tested against real peers without a database and reused by the poller and by
"test now" alike.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warning", "critical", "unknown"]
SUMMARY_LENGTH = 300
_RANK: dict[str, int] = {"ok": 0, "unknown": 1, "warning": 2, "critical": 3}


@dataclass(frozen=True)
class ProbeResult:
    status: Status
    summary: str  # one line a technician reads
    latency_ms: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    # What the next run needs from this one (SNMP counters for throughput); stored on the check.
    state: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", one_line(self.summary))


def one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= SUMMARY_LENGTH else flat[: SUMMARY_LENGTH - 1] + "…"


def worst(*statuses: Status) -> Status:
    """The most serious of several statuses (critical > warning > unknown > ok)."""
    return max(statuses, key=lambda s: _RANK[s], default="ok")


class Stopwatch:
    """Milliseconds since creation, from the monotonic clock (wall-clock jumps do not skew it)."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self._start) * 1000, 3)


def describe_error(exc: BaseException) -> str:
    """A short sentence for an exception from a network call ("timed out", "Connection refused")."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return one_line(str(text))


def threshold_status(
    value: float, warning: float | None, critical: float | None, *, above: bool = True
) -> Status:
    """ok/warning/critical of a measured value against thresholds; `above` says which way is bad."""

    def crosses(limit: float | None) -> bool:
        if limit is None:
            return False
        return value >= limit if above else value <= limit

    if crosses(critical):
        return "critical"
    if crosses(warning):
        return "warning"
    return "ok"
