"""Tenant-scoped reads of heartbeats and their ping logs.

The UI and the API fetch through these helpers only. A heartbeat the actor may not see is a
NotFound (404), exactly as if it did not exist. Pings are read through a heartbeat already
fetched here, so visibility is settled once.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.heartbeats.models import Heartbeat, Ping
from openmsp.tenants.queries import scope


def heartbeats_visible_to(actor: Actor) -> QuerySet[Heartbeat]:
    return scope(actor, Heartbeat.objects.select_related("client", "site", "asset"))


def get_heartbeat(actor: Actor, heartbeat_id: int | str) -> Heartbeat:
    try:
        return heartbeats_visible_to(actor).get(pk=heartbeat_id)
    except (Heartbeat.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such heartbeat.") from None


def filter_heartbeats(
    qs: QuerySet[Heartbeat],
    *,
    client_id: int | None = None,
    state: str | None = None,
    paused: bool | None = None,
    q: str | None = None,
) -> QuerySet[Heartbeat]:
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if state:
        qs = qs.filter(state=state)
    if paused is not None:
        qs = qs.filter(paused=paused)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(slug__icontains=q) | Q(description__icontains=q))
    return qs


def pings_of(
    heartbeat: Heartbeat, *, kind: str | None = None, since: dt.datetime | None = None
) -> QuerySet[Ping]:
    """The ping log, newest first: one range scan of the (heartbeat, at) index."""
    qs = Ping.objects.filter(heartbeat=heartbeat)
    if kind:
        qs = qs.filter(kind=kind)
    if since is not None:
        qs = qs.filter(at__gte=since)
    return qs.order_by("-at", "-pk")


def recent_runs(heartbeat: Heartbeat, *, limit: int = 50) -> list[Ping]:
    """The last finished runs (successes and failures), oldest first, for the run-time chart."""
    rows = list(
        pings_of(heartbeat)
        .filter(kind__in=[Ping.Kind.SUCCESS, Ping.Kind.FAIL])
        .defer("body")[:limit]
    )
    rows.reverse()
    return rows
