"""Tenant-scoped reads of channels, routes and the delivery log: the only way views and the API
fetch them. Another client's object is a NotFound (404), exactly as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from openmsp.accounts.models import User
from openmsp.accounts.roles import STAFF_ROLES
from openmsp.core.actor import Actor
from openmsp.core.apiutils import fetch
from openmsp.notifications.models import (
    Channel,
    EscalationStep,
    OutboxMessage,
    Route,
)
from openmsp.tenants.queries import scope


def channels_visible_to(actor: Actor) -> QuerySet[Channel]:
    return scope(actor, Channel.objects.select_related("client"))


def routes_visible_to(actor: Actor) -> QuerySet[Route]:
    steps = EscalationStep.objects.prefetch_related(
        "channels", "people", "oncall_schedules"
    ).order_by("number")
    return scope(actor, Route.objects.select_related("client")).prefetch_related(
        "channels", "people", "oncall_schedules", Prefetch("steps", queryset=steps)
    )


def deliveries_visible_to(actor: Actor) -> QuerySet[OutboxMessage]:
    return scope(actor, OutboxMessage.objects.select_related("client", "channel", "route"))


def get_channel(actor: Actor, pk: int) -> Channel:
    return fetch(channels_visible_to(actor), "channel", pk=pk)


def get_route(actor: Actor, pk: int) -> Route:
    return fetch(routes_visible_to(actor), "route", pk=pk)


def get_delivery(actor: Actor, pk: int) -> OutboxMessage:
    return fetch(deliveries_visible_to(actor), "delivery", pk=pk)


def staff_people() -> QuerySet[User]:
    """Who a route may name as people: active MSP staff (the action checks they see the client)."""
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("email")


@dataclass(frozen=True)
class DeliveryFilters:
    client_id: int | None = None
    channel_id: int | None = None
    route_id: int | None = None
    status: str | None = None
    kind: str | None = None
    origin: str | None = None


def filter_deliveries(
    qs: QuerySet[OutboxMessage], filters: DeliveryFilters
) -> QuerySet[OutboxMessage]:
    exact = {k: v for k, v in vars(filters).items() if v is not None}
    return qs.filter(**exact)
