"""What the integration solution reports: runs and intervals, stored once, judged at once.

Telemetry, not people's decisions (ADR 0004): kept in InterfaceRun, not the audit chain. A run
id already stored is not stored again (a solution may resend after a timeout); a run first
reported while running is completed when its finish is reported. The per-report rules judge the
newest run of the report, inside the same transaction as the rows, so what was answered
"accepted" has its observations committed with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from openmsp.interfaces import observe, rules
from openmsp.interfaces.actions import hash_token
from openmsp.interfaces.models import Interface, InterfaceRun
from openmsp.interfaces.schemas import ReportIn, RunIn


@dataclass(frozen=True)
class Receipt:
    accepted: int
    duplicates: int


def interface_for_token(token: str) -> Interface | None:
    return Interface.objects.filter(token_hash=hash_token(token)).first()


def _row(iface: Interface, run: RunIn) -> InterfaceRun:
    return InterfaceRun(
        interface=iface,
        run_id=run.run_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        processed=run.records_processed,
        failed=run.records_failed,
        failures_by_code=dict(run.failures_by_code),
        latency_p95_ms=run.latency_p95_ms,
        backlog_depth=run.backlog_depth,
        oldest_message_age_seconds=run.oldest_message_age_s,
    )


def _store(iface: Interface, runs: list[RunIn]) -> tuple[list[InterfaceRun], int]:
    known = {
        r.run_id: r
        for r in InterfaceRun.objects.filter(interface=iface, run_id__in=[x.run_id for x in runs])
    }
    stored: list[InterfaceRun] = []
    duplicates = 0
    for run in runs:
        old = known.get(run.run_id)
        if old is None:
            known[run.run_id] = row = _row(iface, run)
            row.save(force_insert=True)
            stored.append(row)
        elif old.finished_at is None and run.finished_at is not None:
            fresh = _row(iface, run)
            fresh.pk, fresh.received_at = old.pk, old.received_at
            fresh.save(force_update=True)  # the running batch finished: its final figures
            known[run.run_id] = fresh
            stored.append(fresh)
        else:
            duplicates += 1
    return stored, duplicates


def _facts(run: InterfaceRun) -> rules.RunFacts:
    return rules.RunFacts(
        processed=run.processed,
        failed=run.failed,
        latency_p95_ms=run.latency_p95_ms,
        backlog_depth=run.backlog_depth,
        oldest_message_age_seconds=run.oldest_message_age_seconds,
    )


@transaction.atomic
def record_report(
    token: str, report: ReportIn, *, now: dt.datetime | None = None
) -> Receipt | None:
    """Store the report's runs and judge the newest; None when no interface has this token."""
    iface = Interface.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    if iface is None:
        return None
    now = now or timezone.now()
    stored, duplicates = _store(iface, list(report.runs))
    if stored:
        newest = max(stored, key=lambda r: (r.started_at, r.pk))
        if iface.last_run_at is None or newest.started_at >= iface.last_run_at:
            iface.last_run_at = newest.started_at
            if not iface.paused:
                observe.settle(iface, rules.judge_run(iface.thresholds, _facts(newest)), now)
        iface.save(update_fields=["last_run_at", "rule_status"])
    return Receipt(accepted=len(stored), duplicates=duplicates)
