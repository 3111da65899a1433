"""Changes to the desk's set-up: ticket statuses (name, category, the SLA clocks each pauses),
teams (name, members) and categories. MSP staff with the contract-manage permission; audited.
A status's pauses move clocks, so changing them recomputes the open tickets it can affect."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from openmsp.accounts.models import User
from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.servicedesk import clocks
from openmsp.servicedesk.models import CLOCKS, Category, Team, TicketStatus
from openmsp.servicedesk.policy_actions import _require
from openmsp.tenants.models import Client


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("A name of 1-100 characters is needed.", field="name")
    return name


def _pauses(pauses: Iterable[str]) -> list[str]:
    out = sorted(set(pauses))
    if any(p not in CLOCKS for p in out):
        raise ValidationFailed(
            "Pauses are first_response, next_response, resolution.", field="pauses"
        )
    return out


@transaction.atomic
def save_status(
    *,
    actor: Actor,
    status: TicketStatus | None = None,
    name: str,
    category: str,
    pauses: Iterable[str],
    code: str = "",
) -> TicketStatus:
    """Create an MSP-wide status (its code from the name unless given) or change one."""
    _require(actor)
    if category not in TicketStatus.Category.values:
        raise ValidationFailed(f"'{category}' is not a status category.", field="category")
    before = None if status is None else audit.snapshot(status)
    if status is None:
        code = slugify(code or name).replace("-", "_")[:50]
        if not code:
            raise ValidationFailed("Give the status a code of letters or digits.", field="code")
        if TicketStatus.objects.filter(client__isnull=True, code=code).exists():
            raise ValidationFailed(f"A status '{code}' exists already.", field="code")
        top = TicketStatus.objects.aggregate(m=Max("position"))["m"] or 0
        status = TicketStatus(code=code, position=top + 1)
    status.name, status.category, status.pauses = _name(name), category, _pauses(pauses)
    status.save()
    audit.record(
        actor=actor, action="ticket_status.saved", obj=status, client_id=status.client_id,
        before=before, after=audit.snapshot(status),
    )  # fmt: skip
    clocks.recompute_open(status.client_id)
    return status


@transaction.atomic
def save_team(
    *,
    actor: Actor,
    team: Team | None = None,
    client: Client | None = None,
    name: str,
    members: Iterable[User] = (),
) -> Team:
    _require(actor)
    from openmsp.tenants.queries import clients_visible_to

    people = list(members)
    if team is None:
        if client is None:
            raise ValidationFailed("Choose the team's client.", field="client")
        team = Team(client=client)
    for u in people:
        if not (u.is_active and u.is_msp_staff):
            raise ValidationFailed("Team members are active MSP staff.", field="members")
        if not clients_visible_to(Actor(user=u)).filter(pk=team.client_id).exists():
            raise ValidationFailed(f"{u.email} does not work for this client.", field="members")
    before = None if team.pk is None else {"name": team.name, "members": _ids(team)}
    team.name = _name(name)
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:
        raise ValidationFailed("The client has a team of that name.", field="name") from None
    team.members.set(people)
    audit.record(
        actor=actor, action="team.saved", obj=team, before=before,
        after={"name": team.name, "members": _ids(team)},
    )  # fmt: skip
    return team


def _ids(team: Team) -> list[int]:
    return sorted(team.members.values_list("pk", flat=True))


@transaction.atomic
def save_category(
    *, actor: Actor, category: Category | None = None, client: Client | None = None, name: str
) -> Category:
    _require(actor)
    if category is None:
        if client is None:
            raise ValidationFailed("Choose the category's client.", field="client")
        category = Category(client=client)
    before: dict[str, Any] | None = None if category.pk is None else {"name": category.name}
    category.name = _name(name)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise ValidationFailed("The client has a category of that name.", field="name") from None
    audit.record(
        actor=actor, action="category.saved", obj=category, before=before,
        after={"name": category.name},
    )  # fmt: skip
    return category
