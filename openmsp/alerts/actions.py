"""People's decisions about problems (acknowledge, comment, resolve), maintenance windows,
dependencies and Alertmanager tokens: keyword-only `actor`, atomic, audited.

What sources observe goes through openmsp.alerts.observe (telemetry, not audited). A person's
change to a problem is conditional on the row's `version`, like the sink's, so an observation
landing at the same moment is never overwritten: one of the two re-reads.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.alerts import maintenance as mw
from openmsp.alerts import notify
from openmsp.alerts.models import (
    AlertmanagerToken,
    AlertsDependency,
    MaintenanceWindow,
    Problem,
    ProblemEvent,
)
from openmsp.assets.models import Asset
from openmsp.core import audit
from openmsp.core.actions import apply_changes, delete_audited, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.tenants.models import Client

MAX_COMMENT = 4000
MANUAL_SOURCES = ("manual",)


def _event(problem: Problem, actor: Actor, kind: str, text: str = "", **data: Any) -> None:
    ProblemEvent.objects.create(
        problem=problem,
        at=timezone.now(),
        kind=kind,
        state=problem.state,
        severity=problem.severity,
        text=text,
        actor=actor.user,
        actor_label=actor.label[:300],
        data=audit.jsonable(data),
    )


def _save(problem: Problem, **columns: Any) -> None:
    """Write *columns* if nobody (an observation, a colleague) changed the problem meanwhile."""
    won = Problem.objects.filter(pk=problem.pk, version=problem.version).update(
        version=F("version") + 1, **columns
    )
    if not won:
        raise Conflict("The problem changed meanwhile; reload it and try again.")
    for name, value in columns.items():
        setattr(problem, name, value)
    problem.version += 1


def _comment(text: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(
            f"A comment can be at most {MAX_COMMENT} characters.", field="comment"
        )
    if "\x00" in text:
        raise ValidationFailed("The comment contains a NUL character.", field="comment")
    return text


@transaction.atomic
def acknowledge(
    *, actor: Actor, problem: Problem, comment: str = "", expires_at: dt.datetime | None = None
) -> Problem:
    """Someone is on it: escalation stops. With `expires_at` the problem fires again then unless
    it resolved. Acknowledging again changes the comment and the expiry."""
    require(actor, Perm.WORK)
    comment = _comment(comment)
    now = timezone.now()
    if problem.state not in (Problem.State.FIRING, Problem.State.ACKNOWLEDGED):
        raise Conflict("Only a firing problem can be acknowledged.", field="state")
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("The expiry must be in the future.", field="expires_at")
    before = {"state": problem.state, "ack_expires_at": problem.ack_expires_at}
    again = problem.state == Problem.State.ACKNOWLEDGED
    _save(
        problem,
        state=Problem.State.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=actor.user,
        ack_comment=comment,
        ack_expires_at=expires_at,
    )
    _event(problem, actor, "acknowledged", comment, expires_at=expires_at)
    audit.record(
        actor=actor,
        action="problem.acknowledged",
        obj=problem,
        before=before,
        after={"state": problem.state, "ack_expires_at": expires_at, "comment": comment},
    )
    if not again:
        notify.tell(problem, "acknowledged", at=now)
    return problem


def _refire(problem: Problem, actor: Actor, kind: str) -> None:
    _save(
        problem,
        state=Problem.State.FIRING,
        acknowledged_at=None,
        acknowledged_by=None,
        ack_expires_at=None,
    )
    _event(problem, actor, kind)
    notify.tell(problem, "firing", at=timezone.now())


@transaction.atomic
def unacknowledge(*, actor: Actor, problem: Problem) -> Problem:
    require(actor, Perm.WORK)
    if problem.state != Problem.State.ACKNOWLEDGED:
        raise Conflict("The problem is not acknowledged.", field="state")
    _refire(problem, actor, "unacknowledged")
    audit.record(
        actor=actor,
        action="problem.unacknowledged",
        obj=problem,
        before={"state": "acknowledged"},
        after={"state": problem.state},
    )
    return problem


@transaction.atomic
def comment(*, actor: Actor, problem: Problem, text: str) -> ProblemEvent:
    require(actor, Perm.WORK)
    text = _comment(text)
    if not text:
        raise ValidationFailed("Write a comment.", field="comment")
    _event(problem, actor, "comment", text)
    audit.record(actor=actor, action="problem.commented", obj=problem, after={"comment": text})
    return problem.events.order_by("-pk").first()  # type: ignore[return-value]


@transaction.atomic
def resolve(*, actor: Actor, problem: Problem, comment: str = "") -> Problem:
    """By hand, for problems nothing will resolve by itself (external and manual ones): a
    check's problem resolves when the check is OK again."""
    require(actor, Perm.WORK)
    text = _comment(comment)
    if not (problem.external or problem.source in MANUAL_SOURCES):
        raise Conflict("This problem resolves by itself when its check is OK again.", field="state")
    if not problem.is_open:
        raise Conflict("The problem is already resolved.", field="state")
    now = timezone.now()
    before = {"state": problem.state}
    _save(problem, state=Problem.State.RESOLVED, resolved_at=now, flapping=False)
    _event(problem, actor, "resolved", text)
    audit.record(
        actor=actor,
        action="problem.resolved",
        obj=problem,
        before=before,
        after={"state": "resolved"},
    )
    if problem.notified:
        notify.tell(problem, "resolved", at=now)
    return problem


# --- Periodic work -----------------------------------------------------------------------------

JOB_BATCH = 500


def expire_acknowledgements(*, now: dt.datetime | None = None) -> list[int]:
    """Acknowledgements whose expiry passed fire again: one indexed range of the deadline."""
    now = now or timezone.now()
    due = Problem.objects.filter(
        state=Problem.State.ACKNOWLEDGED, ack_expires_at__isnull=False, ack_expires_at__lte=now
    ).order_by("ack_expires_at")[:JOB_BATCH]
    done = []
    system = Actor.system("alerts")
    for problem in due:
        try:
            with transaction.atomic():
                _refire(problem, system, "ack_expired")
        except Conflict:
            continue  # it changed meanwhile; the next run looks again
        done.append(problem.pk)
    return done


def resolve_recovered_pending(*, now: dt.datetime | None = None) -> list[int]:
    """Pending problems that turned OK and stayed so for the recovery time, with no observation
    since to say so, resolve silently (nobody was told they existed)."""
    now = now or timezone.now()
    due = Problem.objects.filter(
        state=Problem.State.PENDING, recover_at__isnull=False, recover_at__lte=now
    ).order_by("recover_at")[:JOB_BATCH]
    done = []
    system = Actor.system("alerts")
    for problem in due:
        try:
            with transaction.atomic():
                _save(
                    problem,
                    state=Problem.State.RESOLVED,
                    resolved_at=problem.recover_at,
                    recover_at=None,
                )
                _event(problem, system, "resolved", "recovered before the hold-down completed")
        except Conflict:
            continue
        done.append(problem.pk)
    return done


# --- Maintenance windows -----------------------------------------------------------------------

WINDOW_FIELDS = {
    "name", "starts_at", "ends_at", "cron", "duration_minutes", "time_zone", "site", "asset",
    "tag", "fingerprint_prefix", "counts_against_availability", "comment",
}  # fmt: skip


def _check_window(window: MaintenanceWindow) -> None:
    if not window.name.strip():
        raise ValidationFailed("Give the window a name.", field="name")
    try:
        zoneinfo.ZoneInfo(window.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"'{window.time_zone}' is not an IANA time zone (e.g. Asia/Seoul).", field="time_zone"
        ) from None
    if window.cron:
        if not mw.valid_cron(window.cron):
            raise ValidationFailed("The recurrence is not a valid cron expression.", field="cron")
        if not window.duration_minutes:
            raise ValidationFailed("A recurring window needs a duration.", field="duration_minutes")
    elif window.starts_at is None or window.ends_at is None:
        raise ValidationFailed("A one-off window needs a start and an end.", field="starts_at")
    if window.starts_at and window.ends_at and window.ends_at <= window.starts_at:
        raise ValidationFailed("The window must end after it starts.", field="ends_at")
    for name in ("site", "asset"):
        related = getattr(window, name)
        if related is not None and related.client_id != window.client_id:
            raise ValidationFailed(f"The {name} belongs to another client.", field=name)
    full_clean(window, exclude=["client", "site", "asset"])


@transaction.atomic
def create_window(*, actor: Actor, client: Client, **fields: Any) -> MaintenanceWindow:
    require(actor, Perm.ALERTS_MANAGE)
    window = MaintenanceWindow(client=client)
    apply_changes(window, fields, WINDOW_FIELDS)
    _check_window(window)
    window.save()
    audit.record(
        actor=actor, action="maintenance.created", obj=window, after=audit.snapshot(window)
    )
    return window


@transaction.atomic
def update_window(
    *, actor: Actor, window: MaintenanceWindow, changes: dict[str, Any]
) -> MaintenanceWindow:
    require(actor, Perm.ALERTS_MANAGE)
    before = audit.snapshot(window)
    apply_changes(window, changes, WINDOW_FIELDS)
    _check_window(window)
    window.save()
    after = audit.snapshot(window)
    changed = sorted(k for k in after if after[k] != before.get(k) and k != "updated_at")
    if changed:
        audit.record(
            actor=actor,
            action="maintenance.updated",
            obj=window,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return window


@transaction.atomic
def delete_window(*, actor: Actor, window: MaintenanceWindow) -> None:
    require(actor, Perm.ALERTS_MANAGE)
    delete_audited(actor, window, action="maintenance.deleted")


# --- Dependencies ------------------------------------------------------------------------------


def _would_cycle(child: Asset, parent: Asset) -> bool:
    seen = {child.pk}
    current: int | None = parent.pk
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = (
            AlertsDependency.objects.filter(child_id=current)
            .values_list("parent_id", flat=True)
            .first()
        )
    return False


@transaction.atomic
def set_dependency(*, actor: Actor, child: Asset, parent: Asset) -> AlertsDependency:
    """The child depends on the parent (replacing any earlier parent of the child)."""
    require(actor, Perm.ALERTS_MANAGE)
    if child.client_id != parent.client_id:
        raise ValidationFailed("The parent belongs to another client.", field="parent_id")
    if child.pk == parent.pk or _would_cycle(child, parent):
        raise ValidationFailed(
            "An asset cannot depend on itself, even indirectly.", field="parent_id"
        )
    dependency, created = AlertsDependency.objects.update_or_create(
        child=child, defaults={"parent": parent, "client_id": child.client_id}
    )
    audit.record(
        actor=actor,
        action="dependency.set",
        obj=dependency,
        after={"child": child.pk, "parent": parent.pk, "created": created},
    )
    return dependency


@transaction.atomic
def remove_dependency(*, actor: Actor, dependency: AlertsDependency) -> None:
    require(actor, Perm.ALERTS_MANAGE)
    delete_audited(actor, dependency, action="dependency.removed")


# --- Alertmanager tokens -----------------------------------------------------------------------


@transaction.atomic
def create_alertmanager_token(
    *, actor: Actor, client: Client, name: str
) -> tuple[AlertmanagerToken, str]:
    """Returns the token row and the secret, shown once; only its hash is stored."""
    require(actor, Perm.ALERTS_MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("Give the token a name (at most 200 characters).", field="name")
    full, prefix, digest = AlertmanagerToken.generate()
    token = AlertmanagerToken.objects.create(
        client=client, name=name, prefix=prefix, token_hash=digest, created_by=actor.user
    )
    audit.record(
        actor=actor,
        action="alertmanager_token.created",
        obj=token,
        category=audit.CATEGORY_PERMISSION,
        after={"name": name, "prefix": prefix},
    )
    return token, full


@transaction.atomic
def revoke_alertmanager_token(*, actor: Actor, token: AlertmanagerToken) -> AlertmanagerToken:
    require(actor, Perm.ALERTS_MANAGE)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit.record(
        actor=actor,
        action="alertmanager_token.revoked",
        obj=token,
        category=audit.CATEGORY_PERMISSION,
        after={"revoked_at": token.revoked_at},
    )
    return token
