"""When a check runs: stable slots spread over its interval. Pure (no ORM).

Each check has a phase: an offset inside its interval derived from a hash of its id, so checks of
the same interval are spread evenly over it instead of all firing at :00, and a check keeps its
phase across restarts, edits and pollers (any poller computes the same slots). The slots of a
check are the instants t with (t - phase) a multiple of the interval, counted in epoch time.
"""

from __future__ import annotations

import datetime as dt
import hashlib

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def phase_ms(check_id: int, interval_seconds: int) -> int:
    digest = hashlib.blake2b(str(check_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (interval_seconds * 1000)


def _ms(moment: dt.datetime) -> int:
    return int((moment - _EPOCH).total_seconds() * 1000)


def slot_after(check_id: int, interval_seconds: int, moment: dt.datetime) -> dt.datetime:
    """The check's first slot strictly after *moment*."""
    period = interval_seconds * 1000
    phase = phase_ms(check_id, interval_seconds)
    now_ms = _ms(moment)
    steps = (now_ms - phase) // period + 1
    return _EPOCH + dt.timedelta(milliseconds=phase + steps * period)


def next_slot(
    check_id: int, interval_seconds: int, scheduled: dt.datetime, now: dt.datetime
) -> dt.datetime:
    """The slot after the one just claimed. A poller that fell behind skips the slots already
    past rather than running the check several times in a row to catch up."""
    return slot_after(check_id, interval_seconds, max(scheduled, now))
