"""Retention of telemetry history: each app registers what it keeps and for how long; one daily
job (`history.prune`, openmsp.core.jobs) deletes what is older, in batches of primary keys so a
large table is never locked by one huge DELETE and the job can stop between batches.

What is registered (apps' ready()): check results, notification change records and finished
outbox messages, integration-interface runs. Audit records have their own, stricter rule
(OPENMSP_AUDIT_RETENTION_DAYS, PIPA minimum) and are not pruned here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

log = logging.getLogger("openmsp.retention")
BATCH = 5000


@dataclass(frozen=True)
class Rule:
    name: str
    days: Callable[[], int]  # read at run time, so settings overridden in tests apply
    older_than: Callable[[dt.datetime], QuerySet]  # type: ignore[type-arg]  # rows past a cutoff


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> None:
    RULES[rule.name] = rule


def delete_in_batches(rows: QuerySet, batch: int = BATCH) -> int:  # type: ignore[type-arg]
    """Delete the rows of *rows*, *batch* primary keys at a time; how many were deleted."""
    total = 0
    while True:
        pks = list(rows.order_by().values_list("pk", flat=True)[:batch])
        if not pks:
            return total
        rows.model._base_manager.filter(pk__in=pks).delete()
        total += len(pks)


def prune(now: dt.datetime | None = None) -> dict[str, int]:
    """Apply every rule; rows deleted per rule."""
    now = now or timezone.now()
    done = {}
    for rule in RULES.values():
        cutoff = now - dt.timedelta(days=rule.days())
        done[rule.name] = delete_in_batches(rule.older_than(cutoff))
        if done[rule.name]:
            log.info(
                "retention %s: %d rows older than %s deleted", rule.name, done[rule.name], cutoff
            )
    return done
