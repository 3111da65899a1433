"""People's changes to checks: create, change, delete, "run soon". Each takes the actor, checks the
role (Perm.WORK: MSP technicians and client users alike may watch their own systems), validates
the kind's settings, saves and audits in one transaction. Secrets in settings (SNMP communities
and keys, authorization headers) are masked in the audit trail.

What the poller does (claims, results) is telemetry and lives in monitoring.claims.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.assets.models import Asset
from openmsp.core import audit, netguard
from openmsp.core.actions import apply_changes, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.monitoring.models import Check
from openmsp.monitoring.probes.specs import (
    Spec,
    SpecError,
    check_target,
    masked,
    parse_settings,
    target_hosts,
    unmask,
)
from openmsp.monitoring.schedule import slot_after
from openmsp.tenants.models import Client, Site

EDITABLE_FIELDS = {
    "name", "site", "asset", "target", "settings", "interval_seconds", "timeout_seconds",
    "retries", "enabled", "failures_to_fire", "hold_down_seconds", "successes_to_recover",
    "recovery_seconds", "flap_threshold", "flap_window_seconds",
}  # fmt: skip
SCHEDULE_FIELDS = {"interval_seconds", "enabled"}
MAX_TAGS = 30
_TAG = re.compile(r"^[^\s,][^,\x00-\x1f]{0,49}$")


def clean_tags(tags: Iterable[str]) -> list[str]:
    names = sorted({str(t).strip() for t in tags})
    for name in names:
        if not _TAG.match(name):
            raise ValidationFailed(
                f"'{name}' is not a usable tag: 1-50 characters, no commas, not blank.",
                field="tags",
            )
    if len(names) > MAX_TAGS:
        raise ValidationFailed(f"A check can have at most {MAX_TAGS} tags.", field="tags")
    return names


def validated_spec(
    kind: str, target: str, settings: Mapping[str, Any], *, scope: str
) -> tuple[str, Spec]:
    """The normalised target and the parsed settings, or a 422 naming the field. *scope* is the
    check's network scope (openmsp.core.netguard): its targets must be reachable in it."""
    try:
        target = check_target(kind, target)
        spec = parse_settings(kind, dict(settings))
    except SpecError as exc:
        raise ValidationFailed(exc.message, field=exc.field) from None
    for host in target_hosts(kind, target, spec):
        netguard.check_host(host, scope, field="settings.server" if kind == "dns" else "target")
    return target, spec


def _state(check: Check) -> dict[str, Any]:
    data = audit.snapshot(
        check,
        exclude=(
            "next_check_at", "claimed_until", "claim_token", "probe_state", "last_status",
            "last_result_at", "last_latency_ms", "last_summary",
        ),
    )  # fmt: skip
    data["settings"] = masked(check.kind, check.settings or {})
    return data


def _check(check: Check) -> None:
    if check.site is not None and check.site.client_id != check.client_id:
        raise ValidationFailed("The site belongs to another client.", field="site")
    if check.asset is not None and check.asset.client_id != check.client_id:
        raise ValidationFailed("The asset belongs to another client.", field="asset")
    if check.timeout_seconds * (check.retries + 1) > check.interval_seconds:
        raise ValidationFailed(
            "The timeout times the attempts (retries + 1) must fit in the interval.",
            field="timeout_seconds",
        )
    if check.runs_on == "agent" and check.asset is None:
        raise ValidationFailed("An agent check needs the host (asset) it runs on.", field="asset")
    check.target, spec = validated_spec(
        check.kind, check.target, check.settings or {}, scope=check.network_scope
    )
    check.settings = spec.model_dump(mode="json")
    full_clean(check, exclude=["client", "site", "asset", "settings", "tags"])


def _may_run_code(actor: Actor, kind: str) -> None:
    """A script check runs a command on the host, as the agent: only who may run commands."""
    if kind == Check.Kind.AGENT_SCRIPT:
        require(actor, Perm.COMMAND_RUN)


def _schedule(check: Check, now: dt.datetime) -> None:
    # Agent checks are scheduled by the agent: the poller's claim query never sees them.
    due = check.enabled and check.runs_on == "poller"
    check.next_check_at = slot_after(check.pk, check.interval_seconds, now) if due else None


@transaction.atomic
def create_check(
    *, actor: Actor, client: Client, kind: str, name: str, target: str, **fields: Any
) -> Check:
    require(actor, Perm.WORK)
    tags = clean_tags(fields.pop("tags", None) or [])
    if kind not in Check.Kind.values:
        raise ValidationFailed(f"'{kind}' is not a kind of check.", field="kind")
    _may_run_code(actor, kind)
    check = Check(client=client, kind=kind, name=name, target=target, tags=tags)
    check.network_scope = netguard.scope_for(actor, fields.pop("network_scope", None))
    apply_changes(check, fields, EDITABLE_FIELDS)
    _check(check)
    check.save()
    _schedule(check, timezone.now())  # the phase comes from the id, known only now
    check.save(update_fields=["next_check_at"])
    audit.record(actor=actor, action="check.created", obj=check, after=_state(check))
    return check


@transaction.atomic
def update_check(*, actor: Actor, check: Check, changes: Mapping[str, Any]) -> Check:
    """Only the given fields change; `settings`, when given, replaces all settings (a masked
    secret sent back unchanged keeps the stored one); `tags` replaces all tags."""
    require(actor, Perm.WORK)
    _may_run_code(actor, check.kind)
    changes = dict(changes)
    before = _state(check)
    if "tags" in changes:
        check.tags = clean_tags(changes.pop("tags") or [])
    check.network_scope = netguard.scope_for(
        actor, changes.pop("network_scope", None), check.network_scope
    )
    if "settings" in changes:
        changes["settings"] = unmask(check.kind, dict(changes["settings"] or {}), check.settings)
    apply_changes(check, changes, EDITABLE_FIELDS)
    _check(check)
    if SCHEDULE_FIELDS & changes.keys():
        _schedule(check, timezone.now())
    check.save()
    after = _state(check)
    changed = sorted(k for k in after if after[k] != before.get(k) and k != "updated_at")
    if changed:
        audit.record(
            actor=actor,
            action="check.updated",
            obj=check,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return check


@transaction.atomic
def delete_check(*, actor: Actor, check: Check) -> None:
    """The check and its result history go; problems it opened resolve by their own rules."""
    require(actor, Perm.WORK)
    _may_run_code(actor, check.kind)
    audit.record(actor=actor, action="check.deleted", obj=check, before=_state(check))
    check.delete()


def run_soon(*, actor: Actor, check: Check) -> Check:
    """Make the check due now: the next free poller runs it (its phase resumes after)."""
    require(actor, Perm.WORK)
    if not check.enabled:
        raise ValidationFailed("The check is disabled; enable it first.", field="enabled")
    if check.runs_on == "agent":
        raise ValidationFailed("The host's agent runs this check on its interval.", field="kind")
    check.next_check_at = timezone.now()
    Check.objects.filter(pk=check.pk, enabled=True).update(next_check_at=check.next_check_at)
    return check


def resolve_refs(client: Client, site: Site | None, asset: Asset | None) -> None:
    """Refuse references to another client's site or asset (the body named them by id)."""
    if site is not None and site.client_id != client.pk:
        raise ValidationFailed("The site belongs to another client.", field="site")
    if asset is not None and asset.client_id != client.pk:
        raise ValidationFailed("The asset belongs to another client.", field="asset")
