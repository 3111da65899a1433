"""Drift-free schedules and retry backoff, on the monotonic clock so wall-clock jumps do not matter."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable


class Schedule:
    """Due times ``start + k*interval + jitter``: no drift, and each agent offset within the interval.

    A slot that was missed (the host slept, a collection overran) is skipped, not caught up.
    """

    def __init__(
        self,
        interval: float,
        jitter: float = 0.0,
        *,
        start: float | None = None,
        first_slot: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """*first_slot* 1 skips slot 0: for a caller that has just done, at start, the work
        that slot would do."""
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.offset = jitter % interval
        self._clock = clock
        self.start = clock() if start is None else start
        self._k = first_slot

    def next_due(self) -> float:
        """The next slot after the last one returned; slots already past by more than a grace are skipped."""
        grace = min(1.0, self.interval / 2)
        elapsed = self._clock() - self.start - self.offset
        earliest = max(0, math.ceil((elapsed - grace) / self.interval))
        self._k = max(self._k, earliest)
        due = self.start + self._k * self.interval + self.offset
        self._k += 1
        return due

    def wait(self, stop: threading.Event) -> bool:
        """Sleep until the next slot; False when ``stop`` was set meanwhile."""
        due = self.next_due()
        return not stop.wait(max(0.0, due - self._clock()))


class Backoff:
    """Exponential backoff with jitter: about base, 2*base, 4*base … up to cap seconds."""

    def __init__(
        self, base: float = 1.0, cap: float = 300.0, *, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def delay_after(self, failures: int) -> float:
        """The wait after ``failures`` consecutive failures (the first failure is 0)."""
        ceiling = min(self.cap, self.base * 2 ** min(failures, 32))
        return self._rng.uniform(max(self.base, ceiling / 2), ceiling)

    def next_delay(self) -> float:
        delay = self.delay_after(self.failures)
        self.failures += 1
        return delay

    def longest(self) -> float:
        """Jump to the cap: for answers that will not change soon (auth failures, rejections)."""
        self.failures = max(self.failures, math.ceil(math.log2(self.cap / self.base)) + 1)
        return self.next_delay()

    def reset(self) -> None:
        self.failures = 0


STEP_TOLERANCE = (
    2.0  # seconds; NTP slews both clocks alike, only a step moves one against the other
)


def clock_step(
    *,
    stored_wall: float,
    stored_mono: float | None,
    stored_boot: str | None,
    now_wall: float,
    now_mono: float,
    boot: str | None,
) -> float:
    """How far the wall clock was stepped since a reading (wall, monotonic) was stored: add it
    to the stored wall times to get what a correct clock said then. 0 when it cannot be known
    (another boot, an outbox from an older agent, no boot id) or is within tolerance."""
    if stored_mono is None or stored_boot is None or boot is None or stored_boot != boot:
        return 0.0
    step = (now_wall - stored_wall) - (now_mono - stored_mono)
    return step if abs(step) > STEP_TOLERANCE else 0.0
