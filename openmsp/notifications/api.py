"""REST endpoints for notification channels, routing rules, the delivery log and test sends.

Reading needs only to see the client; changing needs notify.manage (MSP owner/admin/technician,
client admin). Secrets are write-only. Another client's object is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.core.apiutils import changes_of, endpoint, fetch, fetch_refs, page, path_object
from openmsp.core.errors import ValidationFailed
from openmsp.notifications import actions, queries
from openmsp.notifications.models import Channel, OutboxMessage, Route
from openmsp.notifications.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPage,
    ChannelPatch,
    ChannelQuery,
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    RouteIn,
    RouteOut,
    RoutePage,
    RoutePatch,
    RouteQuery,
    StepIn,
)
from openmsp.tenants.models import Client
from openmsp.tenants.queries import clients_visible_to

router = Router()
TAG = "notifications"
READ = (404,)
WRITE = (403, 404)

path_object("notification_channel_id", queries.get_channel)
path_object("notification_route_id", queries.get_route)
path_object("notification_message_id", queries.get_delivery)


def _client(actor: Actor, client_id: int) -> Client:
    return fetch(clients_visible_to(actor), "client", pk=client_id)


# --- Channels ----------------------------------------------------------------------------------


@endpoint(router, "GET", "/clients/{client_id}/notification-channels", "List a client's notification channels", tag=TAG, ok={200: ChannelPage}, errors=READ)  # fmt: skip
def list_channels(request: HttpRequest, client_id: int, query: Query[ChannelQuery]) -> dict[str, Any]:  # fmt: skip
    actor = actor_from(request)
    qs = queries.channels_visible_to(actor).filter(client=_client(actor, client_id))
    if query.kind:
        qs = qs.filter(kind=query.kind)
    return page(request, qs, query)


@endpoint(router, "POST", "/clients/{client_id}/notification-channels", "Add a notification channel", tag=TAG, ok={201: ChannelOut}, errors=(*WRITE, 409))  # fmt: skip
def create_channel(request: HttpRequest, client_id: int, payload: ChannelIn) -> Status[Channel]:
    """Outbound URLs must be http:// or https:// (422 otherwise). A webhook needs `secret`
    (at least 16 characters): it signs every delivery (docs/notifications.md)."""
    actor = actor_from(request)
    fields = changes_of(payload)
    channel = actions.create_channel(actor=actor, client=_client(actor, client_id), **fields)
    return Status(201, channel)


@endpoint(router, "GET", "/notification-channels/{notification_channel_id}", "Get a notification channel", tag=TAG, ok={200: ChannelOut}, errors=READ)  # fmt: skip
def get_channel(request: HttpRequest, notification_channel_id: int) -> Channel:
    return queries.get_channel(actor_from(request), notification_channel_id)


@endpoint(router, "PATCH", "/notification-channels/{notification_channel_id}", "Change a notification channel", tag=TAG, ok={200: ChannelOut}, errors=(*WRITE, 409))  # fmt: skip
def update_channel(
    request: HttpRequest, notification_channel_id: int, payload: ChannelPatch
) -> Channel:
    """`config` replaces all settings; `secret` replaces the secret (empty: keep it)."""
    actor = actor_from(request)
    channel = queries.get_channel(actor, notification_channel_id)
    return actions.update_channel(actor=actor, channel=channel, changes=changes_of(payload))


@endpoint(router, "DELETE", "/notification-channels/{notification_channel_id}", "Delete a notification channel", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_channel(request: HttpRequest, notification_channel_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.delete_channel(actor=actor, channel=queries.get_channel(actor, notification_channel_id))
    return Status(204, None)


@endpoint(router, "POST", "/notification-channels/{notification_channel_id}/test", "Send a test notification", tag=TAG, ok={202: DeliveryOut}, errors=WRITE)  # fmt: skip
def send_test(request: HttpRequest, notification_channel_id: int) -> Status[OutboxMessage]:
    """Queues a test message; a worker delivers it within seconds. Follow it in the delivery
    log (`GET /notification-messages/{id}`)."""
    actor = actor_from(request)
    message = actions.send_test(
        actor=actor, channel=queries.get_channel(actor, notification_channel_id)
    )
    return Status(202, queries.get_delivery(actor, message.pk))


# --- Routes ------------------------------------------------------------------------------------


def _targets(actor: Actor, client: Client, channel_ids: list[int], people_ids: list[int], prefix: str = "") -> tuple[list[Channel], list[User]]:  # fmt: skip
    channels = fetch_refs(
        queries.channels_visible_to(actor).filter(client=client),
        "channel",
        f"{prefix}channel_ids",
        channel_ids,
    )
    if people_ids and actor.user is not None and not actor.user.is_msp_staff:
        raise ValidationFailed(
            "Only MSP staff choose people; route to a channel instead.",
            field=f"{prefix}people_ids",
        )
    people = fetch_refs(queries.staff_people(), "person", f"{prefix}people_ids", people_ids)
    return channels, people


def _schedules(actor: Actor, client: Client, ids: list[int], prefix: str = "") -> list[Any]:
    from openmsp.oncall.queries import schedules_visible_to

    field = f"{prefix}oncall_schedule_ids"
    if ids and actor.user is not None and not actor.user.is_msp_staff:
        raise ValidationFailed("Only MSP staff choose on-call schedules.", field=field)
    qs = schedules_visible_to(actor).filter(Q(client__isnull=True) | Q(client=client))
    return fetch_refs(qs, "on-call schedule", field, ids)


def _steps(actor: Actor, client: Client, steps: list[StepIn]) -> list[dict[str, Any]]:
    out = []
    for index, step in enumerate(steps):
        prefix = f"steps.{index}."
        channels, people = _targets(actor, client, step.channel_ids, step.people_ids, prefix)
        schedules = _schedules(actor, client, step.oncall_schedule_ids, prefix)
        out.append(
            {
                "after_minutes": step.after_minutes,
                "channels": channels,
                "people": people,
                "oncall_schedules": schedules,
            }
        )
    return out


def _route_args(actor: Actor, client: Client, payload: RouteIn | RoutePatch) -> dict[str, Any]:
    fields = changes_of(payload)
    args: dict[str, Any] = {}
    if "channel_ids" in fields or "people_ids" in fields:
        channels, people = _targets(
            actor, client, fields.pop("channel_ids", []), fields.pop("people_ids", [])
        )
        if "channel_ids" in payload.model_fields_set:
            args["channels"] = channels
        if "people_ids" in payload.model_fields_set:
            args["people"] = people
    if "oncall_schedule_ids" in fields:
        args["oncall_schedules"] = _schedules(actor, client, fields.pop("oncall_schedule_ids"))
    if "steps" in fields:
        fields.pop("steps")
        args["steps"] = _steps(actor, client, list(payload.steps or []))
    args["fields"] = fields
    return args


@endpoint(router, "GET", "/clients/{client_id}/notification-routes", "List a client's routing rules", tag=TAG, ok={200: RoutePage}, errors=READ)  # fmt: skip
def list_routes(request: HttpRequest, client_id: int, query: Query[RouteQuery]) -> dict[str, Any]:
    """In the order they are tried; the default route (if any) comes last."""
    actor = actor_from(request)
    qs = queries.routes_visible_to(actor).filter(client=_client(actor, client_id))
    return page(request, qs, query, aliases={"position": ("is_default", "position")})


@endpoint(router, "POST", "/clients/{client_id}/notification-routes", "Add a routing rule", tag=TAG, ok={201: RouteOut}, errors=(*WRITE, 409))  # fmt: skip
def create_route(request: HttpRequest, client_id: int, payload: RouteIn) -> Status[Route]:
    """Matches on severities, sources, kinds and label matchers (empty: any); sends grouped
    messages to channels and people; `steps` is the escalation ladder."""
    actor = actor_from(request)
    client = _client(actor, client_id)
    args = _route_args(actor, client, payload)
    fields = args.pop("fields")
    route = actions.create_route(
        actor=actor, client=client, name=fields.pop("name"), **args, **fields
    )
    return Status(201, queries.get_route(actor, route.pk))


@endpoint(router, "GET", "/notification-routes/{notification_route_id}", "Get a routing rule", tag=TAG, ok={200: RouteOut}, errors=READ)  # fmt: skip
def get_route(request: HttpRequest, notification_route_id: int) -> Route:
    return queries.get_route(actor_from(request), notification_route_id)


@endpoint(router, "PATCH", "/notification-routes/{notification_route_id}", "Change a routing rule", tag=TAG, ok={200: RouteOut}, errors=(*WRITE, 409))  # fmt: skip
def update_route(request: HttpRequest, notification_route_id: int, payload: RoutePatch) -> Route:
    """Only the fields sent change; `channel_ids`, `people_ids` and `steps` replace."""
    actor = actor_from(request)
    route = queries.get_route(actor, notification_route_id)
    args = _route_args(actor, route.client, payload)
    actions.update_route(actor=actor, route=route, changes=args.pop("fields"), **args)
    return queries.get_route(actor, notification_route_id)


@endpoint(router, "DELETE", "/notification-routes/{notification_route_id}", "Delete a routing rule", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_route(request: HttpRequest, notification_route_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.delete_route(actor=actor, route=queries.get_route(actor, notification_route_id))
    return Status(204, None)


# --- Delivery log ------------------------------------------------------------------------------


@endpoint(router, "GET", "/notification-messages", "List notification messages (the delivery log)", tag=TAG, ok={200: DeliveryPage})  # fmt: skip
def list_deliveries(request: HttpRequest, query: Query[DeliveryQuery]) -> dict[str, Any]:
    """Outbox messages of the clients you may see, newest first, filtered by client, channel,
    route, status (pending, sending, sent, failed), kind and origin (group, escalation, test)."""
    actor = actor_from(request)
    filters = queries.DeliveryFilters(
        **query.model_dump(
            include={"client_id", "channel_id", "route_id", "status", "kind", "origin"}
        )
    )
    qs = queries.filter_deliveries(queries.deliveries_visible_to(actor), filters)
    return page(request, qs, query)


@endpoint(router, "GET", "/notification-messages/{notification_message_id}", "Get a notification message with its delivery attempts", tag=TAG, ok={200: DeliveryDetailOut}, errors=READ)  # fmt: skip
def get_delivery(request: HttpRequest, notification_message_id: int) -> OutboxMessage:
    return queries.get_delivery(actor_from(request), notification_message_id)
