"""People's changes to interfaces: create, edit, pause and resume, a new report token, delete.

Each checks the role (Perm.WORK), validates, saves and audits in one transaction. The report
token is shown once (returned by create and regenerate) and only its SHA-256 is stored, as
enrollment tokens are (openmsp.agent_api.actions). Reports and the clock job are elsewhere
(report_actions, evaluation).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import apply_changes, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.heartbeats import schedule as sched
from openmsp.heartbeats.actions import clean_tags
from openmsp.interfaces import evaluation, observe
from openmsp.interfaces.models import Interface
from openmsp.tenants.models import Client

TOKEN_PREFIX = "omi_"  # noqa: S105 - a prefix, not a secret
EDITABLE_FIELDS = {
    "name", "code", "description", "owner", "owner_name", "source_system", "target_system",
    "direction", "protocol", "tags", "cron", "time_zone", "start_grace_minutes",
    "deadline_minutes", "max_error_rate", "max_failures", "max_backlog",
    "max_oldest_age_seconds", "max_latency_ms", "expect_traffic", "min_traffic_ratio",
}  # fmt: skip


def hash_token(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _new_token(iface: Interface) -> str:
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    iface.token_hash = hash_token(text)
    iface.token_prefix = text[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]
    return text


def _check(iface: Interface) -> None:
    if iface.owner is not None and not iface.owner.is_msp_staff:
        raise ValidationFailed("The owner must be a member of the MSP's staff.", field="owner")
    try:
        sched.zone_of(iface.time_zone)
        if iface.cron:
            iface.cron = sched.check_cron(iface.cron)
    except sched.ScheduleError as exc:
        raise ValidationFailed(exc.message, field=exc.field) from None
    if iface.deadline_minutes is not None and not iface.cron:
        raise ValidationFailed(
            "A finish deadline needs a schedule (cron) to count from.", field="deadline_minutes"
        )
    full_clean(iface, exclude=["owner", "token_hash", "token_prefix"])


def _state(iface: Interface) -> dict[str, Any]:
    return audit.snapshot(
        iface, exclude=["token_hash", "rule_status", "next_evaluation_at", "last_run_at"]
    )


def _locked(iface: Interface) -> Interface:
    row: Interface = Interface.objects.select_for_update().get(pk=iface.pk)
    return row


def _prepare(changes: Mapping[str, Any]) -> dict[str, Any]:
    changes = dict(changes)
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"] or [])
    return changes


@transaction.atomic
def create_interface(
    *, actor: Actor, client: Client, name: str, code: str, **fields: Any
) -> tuple[Interface, str]:
    """The new interface and its report token (shown once)."""
    require(actor, Perm.WORK)
    iface = Interface(client=client, name=name, code=code)
    apply_changes(iface, _prepare(fields), EDITABLE_FIELDS)
    token = _new_token(iface)
    _check(iface)
    iface.next_evaluation_at = evaluation.next_due(iface, timezone.now())
    iface.save()
    audit.record(actor=actor, action="interface.created", obj=iface, after=_state(iface))
    return iface, token


@transaction.atomic
def update_interface(
    *, actor: Actor, interface: Interface, changes: Mapping[str, Any]
) -> Interface:
    require(actor, Perm.WORK)
    iface = _locked(interface)
    before = _state(iface)
    apply_changes(iface, _prepare(changes), EDITABLE_FIELDS)
    _check(iface)
    if not iface.paused:
        iface.next_evaluation_at = evaluation.next_due(iface, timezone.now())
    iface.save()
    after = _state(iface)
    changed = sorted(k for k in after if after[k] != before.get(k) and k != "updated_at")
    if changed:
        audit.record(
            actor=actor,
            action="interface.updated",
            obj=iface,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return iface


@transaction.atomic
def set_paused(*, actor: Actor, interface: Interface, paused: bool) -> Interface:
    """Paused: reports are still stored, nothing is judged, open problems are told it is fine."""
    require(actor, Perm.WORK)
    iface = _locked(interface)
    if iface.paused == paused:
        return iface
    now = timezone.now()
    iface.paused = paused
    if paused:
        observe.clear_all(iface, now, "interface paused")
        iface.next_evaluation_at = None
    else:
        iface.next_evaluation_at = evaluation.next_due(iface, now)
    iface.save()
    action = "interface.paused" if paused else "interface.resumed"
    audit.record(actor=actor, action=action, obj=iface, after={"paused": paused})
    return iface


@transaction.atomic
def regenerate_token(*, actor: Actor, interface: Interface) -> tuple[Interface, str]:
    """A new report token at once; the old one is refused from now on (for a leaked token)."""
    require(actor, Perm.WORK)
    iface = _locked(interface)
    old = iface.token_prefix
    token = _new_token(iface)
    iface.save(update_fields=["token_hash", "token_prefix", "updated_at"])
    audit.record(
        actor=actor,
        action="interface.token_regenerated",
        obj=iface,
        before={"token_prefix": old},
        after={"token_prefix": iface.token_prefix},
    )
    return iface, token


@transaction.atomic
def delete_interface(*, actor: Actor, interface: Interface) -> None:
    require(actor, Perm.WORK)
    iface = _locked(interface)
    observe.clear_all(iface, timezone.now(), "interface deleted")
    audit.record(actor=actor, action="interface.deleted", obj=iface, before=_state(iface))
    iface.delete()
