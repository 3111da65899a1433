"""Tenant-scoped reads of interfaces and their runs (a hidden interface is a NotFound, 404)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncHour

from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.interfaces.models import Interface, InterfaceRun
from openmsp.tenants.queries import scope


def interfaces_visible_to(actor: Actor) -> QuerySet[Interface]:
    return scope(actor, Interface.objects.select_related("client", "owner"))


def get_interface(actor: Actor, interface_id: int | str) -> Interface:
    try:
        return interfaces_visible_to(actor).get(pk=interface_id)
    except (Interface.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such interface.") from None


def filter_interfaces(
    qs: QuerySet[Interface], *, client_id: int | None = None, q: str | None = None
) -> QuerySet[Interface]:
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(code__icontains=q)
            | Q(source_system__icontains=q)
            | Q(target_system__icontains=q)
        )
    return qs


def runs_of(iface: Interface, *, since: dt.datetime | None = None) -> QuerySet[InterfaceRun]:
    qs = InterfaceRun.objects.filter(interface=iface)
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    return qs.order_by("-started_at", "-pk")


def volume_between(iface_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """Records processed by runs started in [start, end): a range scan of (interface, started_at)."""
    total = InterfaceRun.objects.filter(
        interface_id=iface_id, started_at__gte=start, started_at__lt=end
    ).aggregate(n=Sum("processed"))["n"]
    return int(total or 0)


def first_run_at(iface_id: int) -> dt.datetime | None:
    row = (
        InterfaceRun.objects.filter(interface_id=iface_id)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return row


def hourly_volume(iface: Interface, since: dt.datetime) -> list[tuple[dt.datetime, int, int]]:
    """(hour, processed, failed) per UTC hour since *since*, for the volume chart."""
    rows = (
        runs_of(iface, since=since)
        .annotate(hour=TruncHour("started_at", tzinfo=dt.UTC))
        .values("hour")
        .annotate(p=Sum("processed"), f=Sum("failed"))
        .order_by("hour")
    )
    return [(r["hour"], int(r["p"] or 0), int(r["f"] or 0)) for r in rows]


def volumes_since(ids: list[int], since: dt.datetime) -> dict[int, int]:
    """Records processed per interface since *since* (one grouped query, for the list page)."""
    rows = (
        InterfaceRun.objects.filter(interface_id__in=ids, started_at__gte=since)
        .values("interface_id")
        .annotate(n=Sum("processed"))
    )
    return {r["interface_id"]: int(r["n"] or 0) for r in rows}
