"""The observation sink: one Observation in, the Problem row moved by the lifecycle's rule book.

Telemetry, not people's decisions (ADR 0004): no audit record; what matters goes to the
problem's own timeline. The common case, a check result that changes nothing, costs one indexed
lookup (the fingerprint's latest problem) and at most one UPDATE; in a batch (`record_many`, the
poller's results), one query for the whole batch and nothing more.

Concurrency without locks: every write is conditional on the row's `version` (compare-and-set)
and a new problem is an INSERT that the one-open-problem-per-fingerprint constraint refuses to a
second writer; the loser reads again and applies its observation to the winner's row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from openmsp.alerts import lifecycle, notify
from openmsp.alerts.lifecycle import Outcome, Seen, Track
from openmsp.alerts.models import Problem, ProblemEvent
from openmsp.core.spine import NoisePolicy, Observation

log = logging.getLogger("openmsp.alerts")
ATTEMPTS = 8

_TRACK_FIELDS = (
    "state", "severity", "last_status", "failures", "successes", "failing_since", "ok_since",
    "flapping", "notified", "fired_at", "resolved_at", "repeat_count", "reopen_count",
)  # fmt: skip


def track_of(problem: Problem) -> Track:
    values: dict[str, Any] = {name: getattr(problem, name) for name in _TRACK_FIELDS}
    values["flips"] = tuple(dt.datetime.fromisoformat(f) for f in problem.flips)
    return Track(last_seen=problem.last_seen_at, **values)


def track_columns(track: Track) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(track, name) for name in _TRACK_FIELDS}
    values["flips"] = [f.isoformat() for f in track.flips]
    values["last_seen_at"] = track.last_seen
    return values


def policy_of(problem: Problem) -> NoisePolicy:
    known = set(NoisePolicy.__dataclass_fields__)
    return NoisePolicy(**{k: v for k, v in (problem.policy or {}).items() if k in known})


def recover_deadline(track: Track, policy: NoisePolicy) -> dt.datetime | None:
    """When a pending problem that is OK now will have recovered, if no observation comes."""
    if track.state != lifecycle.PENDING or track.ok_since is None:
        return None
    if track.successes < max(policy.successes_to_recover, 1):
        return None
    return track.ok_since + dt.timedelta(seconds=policy.recovery_seconds)


def _observed_columns(obs: Observation, track: Track) -> dict[str, Any]:
    return {
        **track_columns(track),
        "summary": obs.summary[:1000],
        "details": dict(obs.details),
        "policy": asdict(obs.policy),
        "recover_at": recover_deadline(track, obs.policy),
    }


def _seen(obs: Observation) -> Seen:
    return Seen(obs.status, obs.observed_at, obs.external)


def latest_problems(fingerprints: Iterable[str]) -> dict[str, Problem]:
    """The latest problem of each fingerprint that has one: one query (a chunk of 500
    fingerprints each), its subquery answered from the (fingerprint, -id) index."""
    wanted = sorted(set(fingerprints))
    found: dict[str, Problem] = {}
    for start in range(0, len(wanted), 500):
        ids = (
            Problem.objects.filter(fingerprint__in=wanted[start : start + 500])
            .order_by()
            .values("fingerprint")
            .annotate(latest=Max("pk"))
            .values("latest")
        )
        found.update((p.fingerprint, p) for p in Problem.objects.filter(pk__in=ids).order_by())
    return found


def record_many(observations: Sequence[Observation]) -> None:
    """`record()` each observation, in order, reading the latest problems of the batch at once.

    An observation the rule book ignores against that row (the common case: OK with nothing
    open, or older than what was seen) costs nothing more, exactly as in `record()`, which
    reads the same row and writes nothing. Any other goes through `record()`, which reads its
    row again, and so does every later observation of the same fingerprint in the batch, so
    none is decided against a row an earlier one has changed."""
    latest = latest_problems(obs.fingerprint for obs in observations)
    decided: set[str] = set()
    for obs in observations:
        if obs.fingerprint not in decided:
            decided.add(obs.fingerprint)
            row = latest.get(obs.fingerprint)
            outcome = lifecycle.decide(track_of(row) if row else None, _seen(obs), obs.policy)
            if outcome.ignored or outcome.track is None:
                continue
        record(obs)


def record(obs: Observation) -> Problem | None:
    """Apply one observation; returns the problem it concerns (None: OK and nothing open)."""
    seen = _seen(obs)
    for _attempt in range(ATTEMPTS):
        row = Problem.objects.filter(fingerprint=obs.fingerprint).order_by("-pk").first()
        outcome = lifecycle.decide(track_of(row) if row else None, seen, obs.policy)
        if outcome.ignored or outcome.track is None:
            return row
        if row is None or outcome.created:
            problem = _create(obs, outcome.track, row)
        else:
            problem = _update(obs, outcome, row)
        if problem is None:
            continue  # another writer got there first: read again
        if outcome.changed:
            _after_change(problem, obs, outcome)
        return problem
    raise RuntimeError(f"observation of {obs.fingerprint} lost {ATTEMPTS} races in a row")


def _create(obs: Observation, track: Track, previous: Problem | None) -> Problem | None:
    problem = Problem(
        client_id=obs.client_id,
        fingerprint=obs.fingerprint,
        source=obs.source,
        object_type=obs.object_type,
        object_id=obs.object_id,
        rule=obs.rule,
        asset_id=obs.asset_id,
        title=(obs.title or obs.summary)[:300],
        external=obs.external,
        labels=dict(obs.labels),
        first_seen_at=obs.observed_at,
        **_observed_columns(obs, track),
    )
    notify.place(problem)  # maintenance and dependency, before anyone could be told
    try:
        with transaction.atomic():
            problem.save(force_insert=True)
    except IntegrityError:
        return None
    return problem


def _update(obs: Observation, outcome: Outcome, row: Problem) -> Problem | None:
    columns = _observed_columns(obs, outcome.track)  # type: ignore[arg-type]
    if "reopened" in outcome.events:
        columns.update(
            acknowledged_at=None, acknowledged_by=None, ack_comment="", ack_expires_at=None
        )
    if outcome.changed and outcome.track is not None and outcome.track.is_open:
        # Where it stands now: a window may have opened, the parent may have gone down or up.
        for name, value in columns.items():
            setattr(row, name, value)
        notify.place(row)
        columns.update(suppressed_by_id=row.suppressed_by_id, in_maintenance=row.in_maintenance)
    rows = Problem.objects.filter(pk=row.pk, version=row.version)
    if "reopened" in outcome.events:
        try:  # only a reopen can meet the one-open-problem constraint: a savepoint for it alone
            with transaction.atomic():
                won = rows.update(version=F("version") + 1, **columns)
        except IntegrityError:
            return None
    else:
        won = rows.update(version=F("version") + 1, **columns)
    if not won:
        return None
    for name, value in columns.items():  # what the UPDATE wrote, without reading it back
        setattr(row, name, value)
    row.version += 1
    return row


def _after_change(problem: Problem, obs: Observation, outcome: Outcome) -> None:
    ProblemEvent.objects.bulk_create(
        [
            ProblemEvent(
                problem=problem,
                at=obs.observed_at,
                kind=kind,
                state=problem.state,
                severity=problem.severity,
                status=obs.status,
                text=obs.summary[:2000],
                data={"failures": problem.failures, "successes": problem.successes},
            )
            for kind in outcome.events
        ]
    )
    if outcome.notice:
        notify.tell(problem, outcome.notice, at=obs.observed_at)
    if "resolved" in outcome.events and problem.rule in notify.PARENT_DOWN_RULES:
        notify.release_children(problem, at=obs.observed_at)


def sink(obs: Observation) -> None:
    """The spine's observation sink (registered in AlertsConfig.ready)."""
    record(obs)


def batch_sink(observations: Sequence[Observation]) -> None:
    """The same sink for a batch (spine.observe_many)."""
    record_many(observations)
