"""Reads of on-call schedules. On-call is MSP-internal: client users see no schedule at all.

A schedule limited to a client is seen only by staff who may see that client; an unscoped
schedule by all staff. A schedule the actor may not see is a NotFound (404).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound, PermissionDenied
from openmsp.oncall import build
from openmsp.oncall.models import Override, Schedule
from openmsp.tenants.models import Client
from openmsp.tenants.queries import visible_client_ids


def is_staff(actor: Actor) -> bool:
    return actor.user is None or bool(actor.user.is_active and actor.user.is_msp_staff)


def require_staff(actor: Actor) -> None:
    """For lists: a client user is refused outright (403) rather than shown an empty page."""
    if not is_staff(actor):
        raise PermissionDenied("On-call schedules are for MSP staff only.")


def schedules_visible_to(actor: Actor) -> QuerySet[Schedule]:
    qs = Schedule.objects.select_related("client")
    if not is_staff(actor):
        return qs.none()
    ids = visible_client_ids(actor)
    if ids is None:
        return qs
    return qs.filter(Q(client__isnull=True) | Q(client__in=ids))


def get_schedule(actor: Actor, schedule_id: int | str) -> Schedule:
    try:
        return schedules_visible_to(actor).get(pk=schedule_id)
    except (Schedule.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such schedule.") from None


def get_override(schedule: Schedule, override_id: int | str) -> Override:
    try:
        return Override.objects.select_related("user").get(schedule=schedule, pk=override_id)
    except (Override.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such override.") from None


def upcoming_overrides(schedule: Schedule, now: dt.datetime) -> QuerySet[Override]:
    return schedule.overrides.filter(end__gt=now).select_related("user").order_by("start", "pk")


def eligible_people(client: Client | None) -> QuerySet[User]:
    """Active MSP staff who may be on call for a schedule of *client* (None: any client).
    Auditors only read, so they are never on call."""
    from openmsp.accounts.roles import STAFF_ROLES, Role

    roles = STAFF_ROLES - {Role.AUDITOR}
    qs = User.objects.filter(is_active=True, role__in=roles).order_by("email")
    if client is not None:
        qs = qs.filter(Q(all_clients=True) | Q(assigned_clients=client) | ~Q(role="technician"))
    return qs.distinct()


def on_call_now(actor: Actor, at: dt.datetime) -> list[build.OnCall]:
    return [build.on_call(s, at) for s in schedules_visible_to(actor).prefetch_related("layers")]


def schedules_for_client(client_id: int) -> QuerySet[Schedule]:
    """What a route of this client may page: unscoped schedules and the client's own."""
    return Schedule.objects.filter(Q(client__isnull=True) | Q(client_id=client_id))
