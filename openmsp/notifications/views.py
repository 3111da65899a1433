"""HTML pages of notifications: channels (with the test button), routing rules, delivery log.

Thin: objects come from openmsp.notifications.queries (another client's object is a 404),
changes go through openmsp.notifications.actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core import netguard
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.integrations.registry import notifier_class
from openmsp.notifications import actions, forms, queries
from openmsp.notifications.models import Channel, OutboxMessage, Route
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _common(request: HttpRequest, tab: str) -> dict[str, Any]:
    actor = actor_of(request)
    client_id = _int(request.GET.get("client"))
    clients = clients_visible_to(actor).only("pk", "name").order_by("name")
    return {
        "tab": tab,
        "clients": clients,
        "client_id": client_id,
        "can_manage": request.user.has_perm_to(Perm.NOTIFY_MANAGE),  # type: ignore[union-attr]
    }


def _by_client(qs: Any, client_id: int | None) -> Any:
    return qs.filter(client_id=client_id) if client_id is not None else qs


# --- Channels ----------------------------------------------------------------------------------


@require_GET
@page
def channel_list(request: HttpRequest) -> HttpResponse:
    context = _common(request, "channels")
    channels = _by_client(queries.channels_visible_to(actor_of(request)), context["client_id"])
    rows = [(c, notifier_class(c.kind).public_config(c.config)) for c in channels.order_by("client__name", "name")]  # fmt: skip
    return render(request, "notifications/channel_list.html", {**context, "rows": rows})


def _channel_page(request: HttpRequest, form: forms.ChannelForm, channel: Channel | None) -> HttpResponse:  # fmt: skip
    title = _("Edit channel") if channel else _("New channel")
    context = {"form": form, "channel": channel, "title": title, "tab": "channels"}
    return render(request, "notifications/channel_form.html", context, status=422 if form.errors else 200)  # fmt: skip


@GET_POST
@page
def channel_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.NOTIFY_MANAGE)
    actor = actor_of(request)
    initial = {"client": _int(request.GET.get("client")), "enabled": True}
    form = forms.ChannelForm(
        request.POST or None,
        clients=clients_visible_to(actor),
        scopes=netguard.scopes_for(actor),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            actions.create_channel(
                actor=actor,
                client=form.cleaned_data["client"],
                name=form.cleaned_data["name"],
                kind=kind,
                config=form.config(kind),
                secret=form.cleaned_data["secret"],
                enabled=form.cleaned_data["enabled"],
                network_scope=form.cleaned_data.get("network_scope") or None,
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases=forms.CHANNEL_FIELDS)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("notification_channels")
    return _channel_page(request, form, None)


@GET_POST
@page
def channel_edit(request: HttpRequest, notification_channel_id: int) -> HttpResponse:
    actor = actor_of(request)
    channel = queries.get_channel(actor, notification_channel_id)
    require_perm(request, Perm.NOTIFY_MANAGE)
    config = channel.config
    initial = {
        "name": channel.name,
        "enabled": channel.enabled,
        "recipients": "\n".join(config.get("recipients", [])),
        "url": config.get("url", ""),
        "teams_format": config.get("format", "messagecard"),
        "network_scope": channel.network_scope,
    }
    form = forms.ChannelForm(
        request.POST or None, scopes=netguard.scopes_for(actor), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        changes = {
            "name": form.cleaned_data["name"],
            "enabled": form.cleaned_data["enabled"],
            "config": form.config(channel.kind),
            "secret": form.cleaned_data["secret"],
        }
        if form.cleaned_data.get("network_scope"):
            changes["network_scope"] = form.cleaned_data["network_scope"]
        try:
            actions.update_channel(actor=actor, channel=channel, changes=changes)
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases=forms.CHANNEL_FIELDS)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("notification_channels")
    return _channel_page(request, form, channel)


@require_POST
@page
def channel_delete(request: HttpRequest, notification_channel_id: int) -> HttpResponse:
    actor = actor_of(request)
    actions.delete_channel(actor=actor, channel=queries.get_channel(actor, notification_channel_id))
    messages.success(request, _("Channel deleted."))
    return redirect("notification_channels")


@require_POST
@page
def channel_test(request: HttpRequest, notification_channel_id: int) -> HttpResponse:
    actor = actor_of(request)
    message = actions.send_test(
        actor=actor, channel=queries.get_channel(actor, notification_channel_id)
    )
    messages.success(
        request, _("Test notification queued; its delivery shows here within seconds.")
    )
    return redirect("notification_delivery", message.pk)


# --- Routes ------------------------------------------------------------------------------------


@require_GET
@page
def route_list(request: HttpRequest) -> HttpResponse:
    context = _common(request, "routes")
    routes = _by_client(queries.routes_visible_to(actor_of(request)), context["client_id"])
    ordered = routes.order_by("client__name", "is_default", "position", "pk")
    return render(request, "notifications/route_list.html", {**context, "routes": ordered})


def _route_error(form: forms.RouteForm, exc: ValidationFailed | Conflict) -> None:
    """`label_matchers.2.value` is shown on the matchers field; `channel_ids` on channels."""
    if exc.field:
        exc.field = {"channel_ids": "channels"}.get(exc.field, exc.field.split(".")[0])
    apply_error(form, exc)


def _route_page(
    request: HttpRequest, form: forms.RouteForm, steps: Any, route: Route | None
) -> HttpResponse:
    title = _("Edit routing rule") if route else _("New routing rule")
    context = {"form": form, "steps": steps, "route": route, "title": title, "tab": "routes"}
    invalid = form.errors or steps.total_error_count()
    return render(request, "notifications/route_form.html", context, status=422 if invalid else 200)  # fmt: skip


def _valid(form: forms.RouteForm, steps: Any) -> bool:
    return bool(form.is_valid() & steps.is_valid())  # both, so both show their errors


@GET_POST
@page
def route_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.NOTIFY_MANAGE)
    actor = actor_of(request)
    channels = queries.channels_visible_to(actor).order_by("client__name", "name")
    data = request.POST or None
    form = forms.RouteForm(
        data,
        clients=clients_visible_to(actor),
        channels=channels,
        initial={"client": _int(request.GET.get("client")), "enabled": True},
    )
    steps = forms.step_formset(data, channels=channels, people=queries.staff_people())
    if request.method == "POST" and _valid(form, steps):
        try:
            actions.create_route(
                actor=actor,
                client=form.cleaned_data["client"],
                channels=list(form.cleaned_data["channels"]),
                steps=forms.ladder_of(steps),
                **form.fields_for_action(),
            )
        except (ValidationFailed, Conflict) as exc:
            _route_error(form, exc)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("notification_routes")
    return _route_page(request, form, steps, None)


@GET_POST
@page
def route_edit(request: HttpRequest, notification_route_id: int) -> HttpResponse:
    actor = actor_of(request)
    route = queries.get_route(actor, notification_route_id)
    require_perm(request, Perm.NOTIFY_MANAGE)
    initial = {name: getattr(route, name) for name in actions.ROUTE_FIELDS}
    initial.update(
        sources=", ".join(route.sources),
        group_by=", ".join(route.group_by),
        label_matchers=forms.matchers_text(route.label_matchers),
        channels=list(route.channels.all()),
    )
    channels = queries.channels_visible_to(actor).filter(client=route.client).order_by("name")
    data = request.POST or None
    form = forms.RouteForm(data, channels=channels, initial=initial)
    people = queries.staff_people(route.client)
    steps = forms.step_formset(data, channels=channels, people=people, route=route)
    if request.method == "POST" and _valid(form, steps):
        try:
            actions.update_route(
                actor=actor,
                route=route,
                changes=form.fields_for_action(),
                channels=list(form.cleaned_data["channels"]),
                steps=forms.ladder_of(steps),
            )
        except (ValidationFailed, Conflict) as exc:
            _route_error(form, exc)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("notification_routes")
    return _route_page(request, form, steps, route)


@require_POST
@page
def route_delete(request: HttpRequest, notification_route_id: int) -> HttpResponse:
    actor = actor_of(request)
    actions.delete_route(actor=actor, route=queries.get_route(actor, notification_route_id))
    messages.success(request, _("Routing rule deleted."))
    return redirect("notification_routes")


# --- Delivery log ------------------------------------------------------------------------------


@require_GET
@page
def delivery_list(request: HttpRequest) -> HttpResponse:
    context = _common(request, "deliveries")
    status = request.GET.get("status")
    filters = queries.DeliveryFilters(
        client_id=context["client_id"],
        status=status if status in OutboxMessage.Status.values else None,
    )
    qs = queries.filter_deliveries(queries.deliveries_visible_to(actor_of(request)), filters)
    page_obj = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))  # fmt: skip
    context.update(page_obj=page_obj, status=filters.status, statuses=OutboxMessage.Status.choices)
    return render(request, "notifications/delivery_list.html", context)


@require_GET
@page
def delivery_detail(request: HttpRequest, notification_message_id: int) -> HttpResponse:
    message = queries.get_delivery(actor_of(request), notification_message_id)
    context = {
        "message": message,
        "attempts": message.log.order_by("number"),
        "items": message.payload.get("items", [])[:100],
        "item_count": len(message.payload.get("items", [])),
        "tab": "deliveries",
    }
    return render(request, "notifications/delivery_detail.html", context)
