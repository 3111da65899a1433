"""Which months a contract's communication plan sends a report for (pure)."""

from __future__ import annotations

import datetime as dt

# The month that closes each period: a quarterly plan reports after March, June, …
CLOSING_MONTHS: dict[str, frozenset[int]] = {
    "monthly": frozenset(range(1, 13)),
    "quarterly": frozenset({3, 6, 9, 12}),
    "semiannual": frozenset({6, 12}),
    "annual": frozenset({12}),
    "none": frozenset(),
}


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def is_due(frequency: str, month: dt.date) -> bool:
    return month.month in CLOSING_MONTHS.get(frequency, frozenset())
