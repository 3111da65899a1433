"""REST endpoints for interfaces: CRUD, the run log, a new report token.

Reading needs only to see the client; changing needs Perm.WORK. Another client's interface is a
404. The solution's reports arrive at /api/v1/interfaces/report (report_view), authenticated by
the interface's report token, not by a user's token.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.accounts.models import User
from openmsp.accounts.roles import STAFF_ROLES
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    endpoint,
    fetch_ref,
    page,
    path_object,
)
from openmsp.interfaces import actions
from openmsp.interfaces.models import Interface
from openmsp.interfaces.queries import (
    filter_interfaces,
    get_interface,
    interfaces_visible_to,
    runs_of,
)
from openmsp.interfaces.schemas import (
    InterfaceIn,
    InterfaceOut,
    InterfacePage,
    InterfacePatch,
    InterfaceQuery,
    RunPage,
    RunQuery,
    TokenOut,
    report_url,
)
from openmsp.tenants.queries import clients_visible_to

router = Router()
READ = (404,)
WRITE = (403, 404)
TAG = "interfaces"
_FIELDS = {"owner": "owner_id"}

path_object("interface_id", get_interface)


def _changes(payload: InterfaceIn | InterfacePatch) -> dict[str, Any]:
    changes = changes_of(payload)
    changes.pop("client_id", None)
    changes.pop("paused", None)
    if "owner_id" in changes:
        # Any staff member may own an interface (staff are not tenant-scoped); a client's user
        # is "no such owner", so the answer says nothing about other tenants' users.
        staff = User.objects.filter(is_active=True, role__in=STAFF_ROLES)
        changes["owner"] = fetch_ref(staff, "owner", "owner_id", changes.pop("owner_id"))
    return changes


def _shown(actor: Actor, iface: Interface, token: str | None = None) -> Interface:
    fresh = get_interface(actor, iface.pk)
    if token is not None:
        fresh.new_report_token = token  # type: ignore[attr-defined]
    return fresh


@endpoint(router, "GET", "/interfaces", "List interfaces", tag=TAG, ok={200: InterfacePage})
def list_interfaces(request: HttpRequest, query: Query[InterfaceQuery]) -> dict[str, Any]:
    qs = filter_interfaces(
        interfaces_visible_to(actor_from(request)), client_id=query.client_id, q=query.q
    )
    return page(request, qs, query)


@endpoint(router, "POST", "/interfaces", "Create an interface", tag=TAG, ok={201: InterfaceOut}, errors=(403, 409))  # fmt: skip
def create_interface(request: HttpRequest, payload: InterfaceIn) -> Status[Interface]:
    """The answer carries `report_token` once: the solution sends it as `Authorization: Bearer`."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    fields = _changes(payload)
    with api_field_names(_FIELDS):
        iface, token = actions.create_interface(
            actor=actor, client=client, name=fields.pop("name"), code=fields.pop("code"), **fields
        )
    return Status(201, _shown(actor, iface, token))


@endpoint(router, "GET", "/interfaces/{interface_id}", "Get an interface", tag=TAG, ok={200: InterfaceOut}, errors=READ)  # fmt: skip
def get_one_interface(request: HttpRequest, interface_id: int) -> Interface:
    return get_interface(actor_from(request), interface_id)


@endpoint(router, "PATCH", "/interfaces/{interface_id}", "Change an interface", tag=TAG, ok={200: InterfaceOut}, errors=WRITE)  # fmt: skip
def update_interface(request: HttpRequest, interface_id: int, payload: InterfacePatch) -> Interface:
    """Only the fields sent change; `paused` pauses or resumes (reports are still stored)."""
    actor = actor_from(request)
    iface = get_interface(actor, interface_id)
    sent = changes_of(payload)
    with api_field_names(_FIELDS):
        iface = actions.update_interface(actor=actor, interface=iface, changes=_changes(payload))
    if "paused" in sent:
        actions.set_paused(actor=actor, interface=iface, paused=bool(sent["paused"]))
    return get_interface(actor, interface_id)


@endpoint(router, "DELETE", "/interfaces/{interface_id}", "Delete an interface", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_interface(request: HttpRequest, interface_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.delete_interface(actor=actor, interface=get_interface(actor, interface_id))
    return Status(204, None)


@endpoint(router, "GET", "/interfaces/{interface_id}/runs", "Run log", tag=TAG, ok={200: RunPage}, errors=READ)  # fmt: skip
def list_runs(request: HttpRequest, interface_id: int, query: Query[RunQuery]) -> dict[str, Any]:
    """Newest first, as reported."""
    iface = get_interface(actor_from(request), interface_id)
    return page(request, runs_of(iface, since=query.since), query)


@endpoint(router, "POST", "/interfaces/{interface_id}/token", "New report token", tag=TAG, ok={200: TokenOut}, errors=WRITE)  # fmt: skip
def regenerate_token(request: HttpRequest, interface_id: int) -> dict[str, Any]:
    """For a leaked token: a new one at once; the old one is refused (401) from now on."""
    actor = actor_from(request)
    iface, token = actions.regenerate_token(
        actor=actor, interface=get_interface(actor, interface_id)
    )
    return {
        "id": iface.pk,
        "token_prefix": iface.token_prefix,
        "report_token": token,
        "report_url": report_url(),
    }
