"""When a group's next message is due (Alertmanager's three knobs), and the retry backoff: pure.

- group_wait: a new group waits this long before its first message, so the rest of an outage
  (which arrives within seconds) goes in the same message;
- group_interval: after a message, new changes in the group wait until this long after it;
- repeat_interval: a group whose problems are still firing and that has nothing new is told
  again after this long.
"""

from __future__ import annotations

import datetime as dt


def due_after_change(
    *,
    now: dt.datetime,
    flush_at: dt.datetime | None,
    last_flushed_at: dt.datetime | None,
    group_wait: dt.timedelta,
    group_interval: dt.timedelta,
) -> dt.datetime:
    """The group's deadline once a change has joined it."""
    if last_flushed_at is None:
        candidate = now + group_wait  # a new group (or one never told yet)
    else:
        candidate = max(now, last_flushed_at + group_interval)
    return candidate if flush_at is None else min(flush_at, candidate)


def due_after_flush(
    *, now: dt.datetime, still_open: bool, repeat_interval: dt.timedelta
) -> dt.datetime | None:
    """After a message: a repeat while problems stay open, else nothing until the next change."""
    return now + repeat_interval if still_open else None


def backoff(attempt: int, *, base: float = 30.0, cap: float = 3600.0) -> dt.timedelta:
    """Delay before retry number *attempt* (1-based): 30 s, 1 min, 2 min … at most an hour."""
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))
