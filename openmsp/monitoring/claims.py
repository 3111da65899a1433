"""The poller's side of the database: claim due checks, record their results.

Claiming is one indexed query plus one conditional UPDATE per batch. On PostgreSQL the query takes
`FOR UPDATE SKIP LOCKED`, so pollers claiming at the same instant take disjoint batches instead of
waiting on each other; on SQLite, transactions begin IMMEDIATE (settings.py), which serialises
them. The UPDATE moves each check's deadline to its next slot and takes a lease with a token that
only the claiming run holds: a check whose run is still going (its lease not expired) is never
claimed again, and a poller that died only delays its checks until the lease runs out.

Results are telemetry (ADR 0004): stored in CheckResult with the check's current state, and handed
to `spine.observe_many()` in the same transaction, never written to the audit chain.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from openmsp.core import spine
from openmsp.monitoring.bulk import update_from_values
from openmsp.monitoring.models import Check, CheckResult
from openmsp.monitoring.observe import observation_of
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.schedule import next_slot

log = logging.getLogger("openmsp.poller")
LEASE_MARGIN = dt.timedelta(seconds=30)
TABLE = Check._meta.db_table


@dataclass(frozen=True)
class Claimed:
    check: Check  # as it was read at claim time
    scheduled_at: dt.datetime  # the slot this run is for
    token: str


@dataclass(frozen=True)
class Outcome:
    claimed: Claimed
    result: ProbeResult
    at: dt.datetime  # when the run finished
    lag_ms: int  # start of the run minus its slot
    attempts: int


def lease_for(check: Check) -> dt.timedelta:
    return dt.timedelta(seconds=check.timeout_seconds * (check.retries + 1)) + LEASE_MARGIN


def _due(now: dt.datetime) -> QuerySet[Check]:
    lease_free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    qs = (
        Check.objects.filter(enabled=True, next_check_at__lte=now)
        .filter(lease_free)
        .order_by("next_check_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def claim_due(*, now: dt.datetime, limit: int) -> list[Claimed]:
    """Claim up to *limit* due checks for one run each; return what this poller won."""
    with transaction.atomic():
        checks = list(_due(now)[:limit])
        if not checks:
            return []
        token = uuid.uuid4().hex
        lease = now + max(lease_for(c) for c in checks)
        rows = [
            (c.pk, next_slot(c.pk, c.interval_seconds, c.next_check_at or now, now)) for c in checks
        ]
        won = update_from_values(
            TABLE,
            [("next_check_at", "timestamptz")],
            rows,
            constant={"claimed_until": lease, "claim_token": token},
            where="t.claimed_until IS NULL OR t.claimed_until <= %s",
            where_params=[now],
        )
        if won != len(checks):  # cannot happen under the locks above; stay correct regardless
            mine = set(Check.objects.filter(claim_token=token).values_list("pk", flat=True))
            checks = [c for c in checks if c.pk in mine]
    return [Claimed(c, c.next_check_at or now, token) for c in checks]


def _holding(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes whose run still holds its check's lease (the others' checks were deleted,
    or disabled, or re-claimed after the lease ran out), their rows locked until commit."""
    tokens: dict[str, list[int]] = defaultdict(list)
    for outcome in outcomes:
        tokens[outcome.claimed.token].append(outcome.claimed.check.pk)
    condition = Q()
    for token, ids in tokens.items():
        condition |= Q(pk__in=ids, claim_token=token)
    qs = Check.objects.filter(condition)
    if connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    held = set(qs.values_list("pk", flat=True))
    return [o for o in outcomes if o.claimed.check.pk in held]


def _store(outcomes: Sequence[Outcome]) -> int:
    """One UPDATE for the state of every check in the batch, one INSERT for their results, and
    their observations; returns how many were stored."""
    held = _holding(outcomes)
    if not held:
        return 0
    rows = [
        (o.claimed.check.pk, o.result.status, o.at, o.result.latency_ms, o.result.summary)
        for o in held
    ]
    update_from_values(
        TABLE,
        [("last_status", "text"), ("last_result_at", "timestamptz"),
         ("last_latency_ms", "float"), ("last_summary", "text")],
        rows,
        constant={"claimed_until": None, "claim_token": ""},
    )  # fmt: skip
    for o in held:  # SNMP counters for the next run's throughput: few checks, one row each
        if o.result.state is not None:
            Check.objects.filter(pk=o.claimed.check.pk).update(probe_state=dict(o.result.state))
    spine.observe_many(
        [observation_of(o.claimed.check, o.result, o.at, attempts=o.attempts) for o in held]
    )
    CheckResult.objects.bulk_create([_result_row(o) for o in held])
    return len(held)


def _result_row(outcome: Outcome) -> CheckResult:
    result = outcome.result
    return CheckResult(
        for_check_id=outcome.claimed.check.pk,
        at=outcome.at,
        status=result.status,
        latency_ms=result.latency_ms,
        summary=result.summary,
        details=dict(result.details),
        lag_ms=outcome.lag_ms,
        attempts=outcome.attempts,
    )


def record_outcomes(outcomes: Sequence[Outcome]) -> int:
    """Store a small batch of results in one transaction; when it fails (a sink refusing an
    observation), store them one by one so one bad result loses nothing else. Returns how many
    were stored."""
    try:
        with transaction.atomic():
            return _store(outcomes)
    except Exception:
        log.exception("storing %d results failed; retrying them one by one", len(outcomes))
    stored = 0
    for outcome in outcomes:
        try:
            with transaction.atomic():
                stored += _store([outcome])
        except Exception:
            log.exception("result of check %s lost", outcome.claimed.check.pk)
    return stored
