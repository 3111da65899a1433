"""Where a problem stands before anyone is told (maintenance, dependency) and the telling itself.

`place()` runs when a problem opens or reopens: is it inside a maintenance window, and is its
asset's parent down? `tell()` hands the change to the spine (notifications decide what to send;
suppressed and in-maintenance changes are recorded there but not sent).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from openmsp.alerts import maintenance as mw
from openmsp.alerts.models import AlertsDependency, MaintenanceWindow, Problem
from openmsp.assets.models import Asset
from openmsp.core import spine

PARENT_DOWN_RULES = ("offline", "down")
FIRING_STATES = ("firing", "acknowledged")
OPEN_STATES = ("pending", "firing", "acknowledged")


def spec_of(window: MaintenanceWindow) -> mw.WindowSpec:
    return mw.WindowSpec(
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        cron=window.cron,
        duration_minutes=window.duration_minutes,
        time_zone=window.time_zone,
    )


def scope_of(window: MaintenanceWindow) -> mw.Scope:
    return mw.Scope(
        site_id=window.site_id,
        asset_id=window.asset_id,
        tag=window.tag,
        fingerprint_prefix=window.fingerprint_prefix,
    )


def subject_of(problem: Problem, asset: Asset | None) -> mw.Subject:
    return mw.Subject(
        fingerprint=problem.fingerprint,
        asset_id=problem.asset_id,
        site_id=asset.site_id if asset else None,
        asset_tags=frozenset(asset.tags.values_list("name", flat=True)) if asset else frozenset(),
        labels={str(k): str(v) for k, v in (problem.labels or {}).items()},
    )


def windows_covering(problem: Problem, at: dt.datetime) -> list[MaintenanceWindow]:
    """Windows of the problem's client open at *at* that cover it (one query, plus the asset's
    tags only when some window is scoped by tag)."""
    rows = MaintenanceWindow.objects.filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=at),
        Q(ends_at__isnull=True) | Q(ends_at__gt=at),
        client_id=problem.client_id,
    )
    candidates = [w for w in rows if mw.active_at(spec_of(w), at)]
    if not candidates:
        return []
    asset = Asset.objects.filter(pk=problem.asset_id).first() if problem.asset_id else None
    subject = subject_of(problem, asset)
    return [w for w in candidates if mw.covers(scope_of(w), subject)]


def place_maintenance(problem: Problem) -> None:
    problem.in_maintenance = bool(windows_covering(problem, problem.last_seen_at))


def parent_problem(problem: Problem) -> Problem | None:
    """The open "offline"/"down" problem of the asset's parent, if the parent is down."""
    if problem.asset_id is None:
        return None
    parent_id = (
        AlertsDependency.objects.filter(child_id=problem.asset_id)
        .values_list("parent_id", flat=True)
        .first()
    )
    if parent_id is None:
        return None
    return (
        Problem.objects.filter(
            asset_id=parent_id, rule__in=PARENT_DOWN_RULES, state__in=FIRING_STATES
        )
        .order_by("pk")
        .first()
    )


def place(problem: Problem) -> None:
    place_maintenance(problem)
    parent = parent_problem(problem)
    problem.suppressed_by = parent if parent is not None and parent.pk != problem.pk else None


def change_of(problem: Problem, kind: str, at: dt.datetime) -> spine.ProblemChange:
    return spine.ProblemChange(
        problem_id=problem.pk,
        client_id=problem.client_id,
        fingerprint=problem.fingerprint,
        kind=kind,
        severity=problem.severity,
        title=problem.title,
        summary=problem.summary,
        at=at,
        labels=dict(problem.labels or {}),
        asset_id=problem.asset_id,
        suppressed=problem.suppressed_by_id is not None,
        in_maintenance=problem.in_maintenance,
        url=f"/problems/{problem.pk}/",
    )


def tell(problem: Problem, kind: str, *, at: dt.datetime) -> None:
    spine.problem_changed(change_of(problem, kind, at))


def release_children(parent: Problem, *, at: dt.datetime) -> list[int]:
    """The parent is up again: children still failing are problems in their own right now.
    They stop being suppressed and, if firing, are told for the first time."""
    from openmsp.alerts.models import ProblemEvent

    released = []
    for child in Problem.objects.filter(suppressed_by=parent, state__in=OPEN_STATES):
        won = Problem.objects.filter(pk=child.pk, version=child.version).update(
            suppressed_by=None, version=child.version + 1
        )
        if not won:
            continue  # it changed meanwhile; its next observation places it again
        child.suppressed_by, child.version = None, child.version + 1
        ProblemEvent.objects.create(
            problem=child,
            at=at,
            kind="unsuppressed",
            state=child.state,
            severity=child.severity,
            text=parent.title,
        )
        if child.state == "firing":
            tell(child, "firing", at=at)
        released.append(child.pk)
    return released
