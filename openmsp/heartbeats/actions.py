"""People's changes to heartbeats: create, edit, pause and resume, a new ping key, delete.

Each takes the actor, checks the role (day-to-day work: Perm.WORK), validates, saves and audits
in one transaction; callers pass heartbeats fetched through openmsp.heartbeats.queries, so tenant
visibility is settled. What jobs report (pings) and the late detector are in ping_actions.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import apply_changes, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.heartbeats import ping_actions
from openmsp.heartbeats import schedule as sched
from openmsp.heartbeats.models import Heartbeat
from openmsp.tenants.models import Client

EDITABLE_FIELDS = {
    "site", "asset", "name", "slug", "description", "tags", "kind", "period_seconds", "cron",
    "time_zone", "grace_seconds", "min_run_seconds", "max_run_seconds", "min_interval_seconds",
}  # fmt: skip
SCHEDULE_FIELDS = {"kind", "period_seconds", "cron", "time_zone", "grace_seconds"}
MAX_TAGS = 20
_TAG = re.compile(r"^[^\s,][^\s,\x00-\x1f]{0,49}$")


def clean_tags(tags: Iterable[str]) -> list[str]:
    names = sorted({str(t).strip() for t in tags if str(t).strip()})
    for name in names:
        if not _TAG.match(name):
            raise ValidationFailed(
                f"'{name}' is not a usable tag: 1-50 characters, no spaces or commas.",
                field="tags",
            )
    if len(names) > MAX_TAGS:
        raise ValidationFailed(f"A heartbeat can have at most {MAX_TAGS} tags.", field="tags")
    return names


def _check(hb: Heartbeat) -> None:
    for ref, name in ((hb.site, "site"), (hb.asset, "asset")):
        if ref is not None and ref.client_id != hb.client_id:
            raise ValidationFailed(f"The {name} belongs to another client.", field=name)
    if hb.kind == Heartbeat.Kind.CRON:
        try:
            hb.cron = sched.check_cron(hb.cron or "")
        except sched.ScheduleError as exc:
            raise ValidationFailed(exc.message, field=exc.field) from None
    full_clean(hb, exclude=["site", "asset"])
    try:
        sched.check(hb.schedule)
    except sched.ScheduleError as exc:
        raise ValidationFailed(exc.message, field=exc.field) from None
    limits = hb.limits
    if limits.min_run and limits.max_run and limits.min_run >= limits.max_run:
        raise ValidationFailed(
            "'Finished too fast' must be shorter than 'ran too long'.", field="min_run_seconds"
        )


def _state(hb: Heartbeat) -> dict[str, Any]:
    # The ping key is the job's credential: never in the audit trail (a suffix identifies it).
    data = audit.snapshot(hb, exclude=["ping_key", "open_rules", "ping_count"])
    data["ping_key_suffix"] = str(hb.ping_key)[-4:]
    return data


def _locked(heartbeat: Heartbeat) -> Heartbeat:
    """The row again, locked: the change is computed from what is stored, not a stale copy."""
    hb: Heartbeat = Heartbeat.objects.select_for_update().get(pk=heartbeat.pk)
    return hb


def _rearm(hb: Heartbeat, now: dt.datetime) -> None:
    """Recompute the deadline after a schedule change, from the last thing the job did."""
    if hb.paused or hb.state in (Heartbeat.State.NEW, Heartbeat.State.LATE, Heartbeat.State.FAILED):
        return
    if hb.state == Heartbeat.State.RUNNING and hb.last_start_at is not None:
        hb.alert_after, _ = sched.running_deadline(
            hb.schedule, started_at=hb.last_start_at, max_run=hb.limits.max_run
        )
    else:
        hb.alert_after = sched.deadline(hb.schedule, hb.last_success_at or now)


@transaction.atomic
def create_heartbeat(*, actor: Actor, client: Client, name: str, **fields: Any) -> Heartbeat:
    require(actor, Perm.WORK)
    fields["tags"] = clean_tags(fields.get("tags") or [])
    hb = Heartbeat(client=client, name=name)
    apply_changes(hb, fields, EDITABLE_FIELDS)
    _check(hb)
    hb.save()
    audit.record(actor=actor, action="heartbeat.created", obj=hb, after=_state(hb))
    return hb


@transaction.atomic
def update_heartbeat(
    *, actor: Actor, heartbeat: Heartbeat, changes: Mapping[str, Any]
) -> Heartbeat:
    """Only the given fields change; a new schedule moves the deadline at once."""
    require(actor, Perm.WORK)
    hb = _locked(heartbeat)
    changes = dict(changes)
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"] or [])
    before = _state(hb)
    apply_changes(hb, changes, EDITABLE_FIELDS)
    _check(hb)
    if SCHEDULE_FIELDS.intersection(changes) or "max_run_seconds" in changes:
        _rearm(hb, timezone.now())
    hb.save()
    after = _state(hb)
    changed = sorted(k for k in after if after[k] != before.get(k) and k != "updated_at")
    if changed:
        audit.record(
            actor=actor,
            action="heartbeat.updated",
            obj=hb,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return hb


@transaction.atomic
def pause_heartbeat(*, actor: Actor, heartbeat: Heartbeat) -> Heartbeat:
    """No deadline, no alerts; open problems are told it is fine. Pings are still recorded."""
    require(actor, Perm.WORK)
    hb = _locked(heartbeat)
    if hb.paused:
        return hb
    now = timezone.now()
    ping_actions.clear_all(hb, now, " (paused)")
    hb.paused, hb.alert_after, hb.last_start_at = True, None, None
    hb.state = Heartbeat.State.NEW if hb.last_success_at is None else Heartbeat.State.UP
    hb.save()
    audit.record(actor=actor, action="heartbeat.paused", obj=hb, after={"paused": True})
    return hb


@transaction.atomic
def resume_heartbeat(*, actor: Actor, heartbeat: Heartbeat) -> Heartbeat:
    """Watching starts again now: the next success is due one schedule step from now."""
    require(actor, Perm.WORK)
    hb = _locked(heartbeat)
    if not hb.paused:
        return hb
    hb.paused = False
    if hb.state != Heartbeat.State.NEW:
        hb.state = Heartbeat.State.UP
        hb.alert_after = sched.deadline(hb.schedule, timezone.now())
    hb.save()
    audit.record(actor=actor, action="heartbeat.resumed", obj=hb, after={"paused": False})
    return hb


@transaction.atomic
def regenerate_key(*, actor: Actor, heartbeat: Heartbeat) -> Heartbeat:
    """A new ping URL; the old one answers 404 from now on (for a leaked URL)."""
    require(actor, Perm.WORK)
    hb = _locked(heartbeat)
    old = str(hb.ping_key)[-4:]
    hb.ping_key = uuid.uuid4()
    hb.save(update_fields=["ping_key", "updated_at"])
    audit.record(
        actor=actor,
        action="heartbeat.key_regenerated",
        obj=hb,
        before={"ping_key_suffix": old},
        after={"ping_key_suffix": str(hb.ping_key)[-4:]},
    )
    return hb


@transaction.atomic
def delete_heartbeat(*, actor: Actor, heartbeat: Heartbeat) -> None:
    """Gone with its ping log; its open problems are told it is fine."""
    require(actor, Perm.WORK)
    hb = _locked(heartbeat)
    ping_actions.clear_all(hb, timezone.now(), " (heartbeat deleted)")
    audit.record(actor=actor, action="heartbeat.deleted", obj=hb, before=_state(hb))
    hb.delete()
