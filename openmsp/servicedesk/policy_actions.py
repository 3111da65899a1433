"""Changes to SLA policies: save (create or replace), move up/down, delete.

Policies are the MSP's (Perm.CONTRACT_MANAGE, staff only); a policy's `client` condition also
limits who sees it. Every change is audited and recomputes the open tickets it can affect, in the
same transaction: the clocks derive from history, so a ticket's clocks are always those of the
policies as they are now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max

from openmsp.accounts.models import User
from openmsp.accounts.roles import Perm
from openmsp.assets.models import Asset
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.servicedesk import clocks
from openmsp.servicedesk.models import (
    CLOCKS,
    Category,
    SlaPolicy,
    SlaPolicyClock,
    SlaStep,
    Team,
    Ticket,
)
from openmsp.tenants.models import BusinessCalendar, Client, Contract

MAX_STEPS = 10
MAX_TARGET_MINUTES = 60 * 24 * 365
Mode = SlaPolicyClock.CalendarMode


def _require(actor: Actor) -> None:
    require(actor, Perm.CONTRACT_MANAGE)
    if actor.user is not None and not actor.user.is_msp_staff:
        raise PermissionDenied("Only the MSP manages SLA policies.")


def policy_state(p: SlaPolicy) -> dict[str, Any]:
    return {
        "name": p.name,
        "position": p.position,
        "client": p.client_id,
        "contract": p.contract_id,
        "category": p.category_id,
        "priorities": list(p.priorities),
        "ticket_types": list(p.ticket_types),
        "asset_criticalities": list(p.asset_criticalities),
        "clocks": {
            c.clock: {
                "target_minutes": c.target_minutes,
                "calendar": c.calendar_mode,
                "calendar_id": c.calendar_id,
                "warn_percent": c.warn_percent,
            }
            for c in p.clocks.all()
        },
        "steps": [
            {
                "clock": s.clock,
                "offset_minutes": s.offset_minutes,
                "action": s.action,
                "user": s.user_id,
                "team": s.team_id,
            }
            for s in p.steps.all()
        ],
    }


def _choices(values: Iterable[str], allowed: Sequence[str], field: str) -> list[str]:
    out = sorted({str(v) for v in values})
    bad = [v for v in out if v not in allowed]
    if bad:
        raise ValidationFailed(f"'{bad[0]}' is not one of {', '.join(allowed)}.", field=field)
    return out


def _owner(client: Client | None, contract: Contract | None, category: Category | None) -> Any:
    """The policy's client: the one named, or implied by its contract or category."""
    for obj, field in ((contract, "contract"), (category, "category")):
        if obj is None:
            continue
        if client is not None and obj.client_id != client.pk:
            raise ValidationFailed(f"The {field} belongs to another client.", field=field)
        client = obj.client
    return client


def _clean_clock(
    name: str, spec: Mapping[str, Any], client: Client | None
) -> tuple[SlaPolicyClock, list[SlaStep]]:
    field = f"clocks.{name}"
    minutes = spec.get("target_minutes")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_TARGET_MINUTES:
        raise ValidationFailed(
            f"The {name} target is 1-{MAX_TARGET_MINUTES} working minutes.",
            field=f"{field}.target_minutes",
        )
    mode = spec.get("calendar", Mode.CONTRACT)
    if mode not in Mode.values:
        raise ValidationFailed(
            f"The calendar is one of {', '.join(Mode.values)}.", field=f"{field}.calendar"
        )
    calendar: BusinessCalendar | None = spec.get("calendar_obj")
    if mode == Mode.CALENDAR:
        if calendar is None:
            raise ValidationFailed("Choose the business calendar.", field=f"{field}.calendar_id")
        if calendar.client_id is not None and (client is None or calendar.client_id != client.pk):
            raise ValidationFailed(
                "That calendar belongs to another client.", field=f"{field}.calendar_id"
            )
    else:
        calendar = None
    warn = spec.get("warn_percent", 75)
    if not isinstance(warn, int) or not 0 <= warn <= 100:
        raise ValidationFailed(
            "The warning is at 0-100 % of the target (0: no warning).",
            field=f"{field}.warn_percent",
        )
    clock = SlaPolicyClock(
        clock=name, target_minutes=minutes, calendar_mode=mode, calendar=calendar,
        warn_percent=warn,
    )  # fmt: skip
    steps = [_clean_step(name, i, s, client) for i, s in enumerate(spec.get("steps") or [])]
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(f"At most {MAX_STEPS} steps per clock.", field=f"{field}.steps")
    return clock, steps


def _clean_step(clock: str, i: int, s: Mapping[str, Any], client: Client | None) -> SlaStep:
    field = f"clocks.{clock}.steps.{i}"
    offset = s.get("offset_minutes")
    if not isinstance(offset, int) or not -MAX_TARGET_MINUTES <= offset <= MAX_TARGET_MINUTES:
        raise ValidationFailed(
            "A step's offset is whole working minutes from the due time.",
            field=f"{field}.offset_minutes",
        )
    action = s.get("action")
    if action not in SlaStep.Action.values:
        raise ValidationFailed(
            f"The action is one of {', '.join(SlaStep.Action.values)}.", field=f"{field}.action"
        )
    user: User | None = s.get("user")
    team: Team | None = s.get("team")
    if user is not None and not (user.is_active and user.is_msp_staff):
        raise ValidationFailed(
            "The user must be an active MSP staff member.", field=f"{field}.user_id"
        )
    if team is not None and (client is None or team.client_id != client.pk):
        raise ValidationFailed(
            "A team can be named only by a policy for the team's client.",
            field=f"{field}.team_id",
        )
    if action == SlaStep.Action.REASSIGN and user is None and team is None:
        raise ValidationFailed("Reassign to whom? Name a user or a team.", field=f"{field}.user_id")
    return SlaStep(clock=clock, offset_minutes=offset, action=action, user=user, team=team)


def _recompute(*client_ids: int | None) -> None:
    if None in client_ids:
        clocks.recompute_open(None)
        return
    for client_id in sorted({c for c in client_ids if c is not None}):
        clocks.recompute_open(client_id)


@transaction.atomic
def save_policy(
    *,
    actor: Actor,
    policy: SlaPolicy | None = None,
    name: str,
    client: Client | None = None,
    contract: Contract | None = None,
    category: Category | None = None,
    priorities: Iterable[str] = (),
    ticket_types: Iterable[str] = (),
    asset_criticalities: Iterable[str] = (),
    clocks_spec: Mapping[str, Mapping[str, Any]] | None = None,
) -> SlaPolicy:
    """Create a policy (last in order) or replace one's conditions, clocks and ladder."""
    _require(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("A name of 1-100 characters is needed.", field="name")
    client = _owner(client, contract, category)
    spec = dict(clocks_spec or {})
    unknown = sorted(set(spec) - set(CLOCKS))
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' is not a clock.", field="clocks")
    if not spec:
        raise ValidationFailed("Set a target for at least one clock.", field="clocks")
    cleaned = {k: _clean_clock(k, v, client) for k, v in spec.items()}
    old_client: int | None = -1
    before = None
    if policy is None:
        top = SlaPolicy.objects.aggregate(m=Max("position"))["m"]
        policy = SlaPolicy(position=0 if top is None else top + 1)
    else:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        before, old_client = policy_state(policy), policy.client_id
    policy.name, policy.client, policy.contract, policy.category = name, client, contract, category
    policy.priorities = _choices(priorities, Ticket.Priority.values, "priorities")
    policy.ticket_types = _choices(ticket_types, Ticket.Type.values, "ticket_types")
    policy.asset_criticalities = _choices(
        asset_criticalities, Asset.Criticality.values, "asset_criticalities"
    )
    policy.save()
    policy.clocks.all().delete()
    policy.steps.all().delete()
    for clock, steps in cleaned.values():
        clock.policy = policy
        clock.save()
        for step in steps:
            step.policy = policy
            step.save()
    after = policy_state(policy)
    audit.record(
        actor=actor, action="sla_policy.created" if before is None else "sla_policy.updated",
        obj=policy, client_id=policy.client_id, before=before, after=after,
    )  # fmt: skip
    _recompute(policy.client_id, *([old_client] if old_client != -1 else []))
    return policy


@transaction.atomic
def move_policy(*, actor: Actor, policy: SlaPolicy, direction: str) -> SlaPolicy:
    """Swap with the neighbour above (`up`) or below (`down`) among all policies."""
    _require(actor)
    if direction not in ("up", "down"):
        raise ValidationFailed("Move 'up' or 'down'.", field="direction")
    rows = list(SlaPolicy.objects.select_for_update().order_by("position", "pk"))
    for i, row in enumerate(rows):
        row.position = i  # normalise, so a swap always changes the order
    index = next(i for i, r in enumerate(rows) if r.pk == policy.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index].position, rows[other].position = rows[other].position, rows[index].position
    SlaPolicy.objects.bulk_update(rows, ["position"])
    moved = rows[index]
    audit.record(
        actor=actor, action="sla_policy.moved", obj=moved, client_id=moved.client_id,
        after={"position": moved.position, "direction": direction},
    )  # fmt: skip
    _recompute(None)
    return moved


@transaction.atomic
def delete_policy(*, actor: Actor, policy: SlaPolicy) -> None:
    _require(actor)
    before, client_id = policy_state(policy), policy.client_id
    audit.record(
        actor=actor, action="sla_policy.deleted", obj=policy, client_id=client_id, before=before
    )
    policy.delete()
    _recompute(client_id)
