"""REST endpoints for heartbeats: CRUD, the ping log, pause/resume, a new ping key.

Reading needs only to see the client; changing needs day-to-day work rights (Perm.WORK). Another
client's heartbeat is a 404. The pings themselves arrive at /ping/<key> (ping_views), not here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.assets.queries import assets_visible_to
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    endpoint,
    fetch_ref,
    page,
    path_object,
)
from openmsp.heartbeats import actions
from openmsp.heartbeats.models import Heartbeat
from openmsp.heartbeats.queries import (
    filter_heartbeats,
    get_heartbeat,
    heartbeats_visible_to,
    pings_of,
)
from openmsp.heartbeats.schemas import (
    HeartbeatIn,
    HeartbeatOut,
    HeartbeatPage,
    HeartbeatPatch,
    HeartbeatQuery,
    KeyOut,
    PingPage,
    PingQuery,
    ping_url,
)
from openmsp.tenants.queries import clients_visible_to, sites_visible_to

router = Router()
READ = (404,)
WRITE = (403, 404)
TAG = "heartbeats"
_FIELDS = {"site": "site_id", "asset": "asset_id"}

path_object("heartbeat_id", get_heartbeat)


def _changes(actor: Actor, payload: HeartbeatIn | HeartbeatPatch) -> dict[str, Any]:
    changes = changes_of(payload)
    changes.pop("client_id", None)
    if "site_id" in changes:
        changes["site"] = fetch_ref(
            sites_visible_to(actor), "site", "site_id", changes.pop("site_id")
        )
    if "asset_id" in changes:
        changes["asset"] = fetch_ref(
            assets_visible_to(actor), "asset", "asset_id", changes.pop("asset_id")
        )
    return changes


@endpoint(router, "GET", "/heartbeats", "List heartbeats", tag=TAG, ok={200: HeartbeatPage})
def list_heartbeats(request: HttpRequest, query: Query[HeartbeatQuery]) -> dict[str, Any]:
    """Heartbeats of the clients you may see, filtered by client, state, paused and `q`."""
    qs = filter_heartbeats(
        heartbeats_visible_to(actor_from(request)),
        client_id=query.client_id,
        state=query.state,
        paused=query.paused,
        q=query.q,
    )
    return page(request, qs, query)


@endpoint(router, "POST", "/heartbeats", "Create a heartbeat", tag=TAG, ok={201: HeartbeatOut}, errors=(403, 409))  # fmt: skip
def create_heartbeat(request: HttpRequest, payload: HeartbeatIn) -> Status[Heartbeat]:
    """A schedule is `kind=period` with `period_seconds`, or `kind=cron` with `cron` read in
    `time_zone` (IANA, default Asia/Seoul); either way `grace_seconds` before it is late."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    fields = _changes(actor, payload)
    with api_field_names(_FIELDS):
        hb = actions.create_heartbeat(actor=actor, client=client, name=fields.pop("name"), **fields)
    return Status(201, get_heartbeat(actor, hb.pk))


@endpoint(router, "GET", "/heartbeats/{heartbeat_id}", "Get a heartbeat", tag=TAG, ok={200: HeartbeatOut}, errors=READ)  # fmt: skip
def get_one_heartbeat(request: HttpRequest, heartbeat_id: int) -> Heartbeat:
    return get_heartbeat(actor_from(request), heartbeat_id)


@endpoint(router, "PATCH", "/heartbeats/{heartbeat_id}", "Change a heartbeat", tag=TAG, ok={200: HeartbeatOut}, errors=WRITE)  # fmt: skip
def update_heartbeat(request: HttpRequest, heartbeat_id: int, payload: HeartbeatPatch) -> Heartbeat:
    """Only the fields sent change; a new schedule moves the deadline at once."""
    actor = actor_from(request)
    hb = get_heartbeat(actor, heartbeat_id)
    changes = _changes(actor, payload)
    with api_field_names(_FIELDS):
        actions.update_heartbeat(actor=actor, heartbeat=hb, changes=changes)
    return get_heartbeat(actor, heartbeat_id)


@endpoint(router, "DELETE", "/heartbeats/{heartbeat_id}", "Delete a heartbeat", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_heartbeat(request: HttpRequest, heartbeat_id: int) -> Status[None]:
    """With its ping log; its ping URL answers 404 from then on."""
    actor = actor_from(request)
    actions.delete_heartbeat(actor=actor, heartbeat=get_heartbeat(actor, heartbeat_id))
    return Status(204, None)


@endpoint(router, "GET", "/heartbeats/{heartbeat_id}/pings", "Ping log", tag=TAG, ok={200: PingPage}, errors=READ)  # fmt: skip
def list_pings(request: HttpRequest, heartbeat_id: int, query: Query[PingQuery]) -> dict[str, Any]:
    """Newest first, with bodies (up to 10,000 bytes each) and run times measured from /start."""
    hb = get_heartbeat(actor_from(request), heartbeat_id)
    return page(request, pings_of(hb, kind=query.kind, since=query.since), query)


@endpoint(router, "POST", "/heartbeats/{heartbeat_id}/pause", "Pause a heartbeat", tag=TAG, ok={200: HeartbeatOut}, errors=WRITE)  # fmt: skip
def pause(request: HttpRequest, heartbeat_id: int) -> Heartbeat:
    """No deadline and no alerts until resumed; its open problems clear. Pings are still logged."""
    actor = actor_from(request)
    actions.pause_heartbeat(actor=actor, heartbeat=get_heartbeat(actor, heartbeat_id))
    return get_heartbeat(actor, heartbeat_id)


@endpoint(router, "POST", "/heartbeats/{heartbeat_id}/resume", "Resume a heartbeat", tag=TAG, ok={200: HeartbeatOut}, errors=WRITE)  # fmt: skip
def resume(request: HttpRequest, heartbeat_id: int) -> Heartbeat:
    actor = actor_from(request)
    actions.resume_heartbeat(actor=actor, heartbeat=get_heartbeat(actor, heartbeat_id))
    return get_heartbeat(actor, heartbeat_id)


@endpoint(router, "POST", "/heartbeats/{heartbeat_id}/key", "New ping URL", tag=TAG, ok={200: KeyOut}, errors=WRITE)  # fmt: skip
def regenerate_key(request: HttpRequest, heartbeat_id: int) -> dict[str, Any]:
    """For a leaked URL: a new key at once; the old URL answers 404 from now on."""
    actor = actor_from(request)
    hb = actions.regenerate_key(actor=actor, heartbeat=get_heartbeat(actor, heartbeat_id))
    return {"id": hb.pk, "ping_key": hb.ping_key, "ping_url": ping_url(hb)}
