"""Tenant-scoped reads: the only way views and the API fetch tenant-owned objects.

`visible_client_ids(actor)` is the single row-level rule; every other helper filters by it. Asking
for an object the actor may not see raises NotFound, exactly as if it did not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.tenants.models import BusinessCalendar, Client, Contact, Contract, Site

M = TypeVar("M", bound=models.Model)


def visible_client_ids(actor: Actor) -> QuerySet[Client, int] | None:
    """None means every client (MSP staff without restriction); otherwise a subquery of ids."""
    user = actor.user
    if user is None:
        return None
    if not user.is_active:
        return Client.objects.none().values_list("pk", flat=True)
    if user.role in (Role.MSP_OWNER, Role.MSP_ADMIN, Role.AUDITOR):
        return None
    if user.role == Role.TECHNICIAN:
        if user.all_clients:
            return None
        return user.assigned_clients.values_list("pk", flat=True)
    return Client.objects.filter(pk=user.client_id or 0).values_list("pk", flat=True)


def scope(actor: Actor, qs: QuerySet[M], field: str = "client") -> QuerySet[M]:
    """Filter any queryset of tenant-owned rows down to what *actor* may see."""
    ids = visible_client_ids(actor)
    if ids is None:
        return qs
    return qs.filter(**{f"{field}__in": ids})


def get_visible(actor: Actor, qs: QuerySet[M], field: str = "client", **lookup: Any) -> M:
    try:
        return scope(actor, qs, field).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound(f"No such {qs.model._meta.verbose_name}.") from None


def clients_visible_to(actor: Actor) -> QuerySet[Client]:
    return scope(actor, Client.objects.all(), field="pk")


def sites_visible_to(actor: Actor) -> QuerySet[Site]:
    return scope(actor, Site.objects.select_related("client"))


def contacts_visible_to(actor: Actor) -> QuerySet[Contact]:
    return scope(actor, Contact.objects.select_related("client", "site"))


def contracts_visible_to(actor: Actor) -> QuerySet[Contract]:
    return scope(actor, Contract.objects.select_related("client", "calendar")).prefetch_related(
        "sla_targets"
    )


def calendars_visible_to(actor: Actor) -> QuerySet[BusinessCalendar]:
    """MSP-wide calendars (no client) are visible to MSP staff only."""
    qs = BusinessCalendar.objects.select_related("client").prefetch_related(
        "intervals", "special_days"
    )
    ids = visible_client_ids(actor)
    user = actor.user
    staff = user is None or user.is_msp_staff
    if ids is None:
        return qs if staff else qs.filter(client__isnull=False)
    condition = Q(client__in=ids)
    if staff:
        condition |= Q(client__isnull=True)
    return qs.filter(condition)
