"""People's changes to notification settings: channels, routing rules, test sends.

Each takes the actor, checks `notify.manage`, validates, saves and audits in one transaction.
Callers pass clients, channels and routes fetched through openmsp.notifications.queries (or the
tenants' queries), so visibility is already settled; objects a body names by id are checked
here to belong to the same client.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from openmsp.accounts.models import User
from openmsp.accounts.roles import Perm
from openmsp.core import audit, netguard
from openmsp.core.actions import full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.integrations.base import Item, Notification
from openmsp.integrations.registry import notifier_class
from openmsp.notifications import content, outbox, routing
from openmsp.notifications.models import Channel, EscalationStep, OutboxMessage, Route
from openmsp.oncall.models import Schedule
from openmsp.tenants.models import Client

SEVERITIES = ("warning", "critical")
KINDS = ("firing", "acknowledged", "resolved", "escalated", "flapping", "reopened")
MAX_LIST = 20
MIN_SECRET = 16
ROUTE_FIELDS = {
    "name", "position", "enabled", "is_default", "continue_matching", "severities", "sources",
    "kinds", "label_matchers", "group_by", "group_wait_seconds", "group_interval_seconds",
    "repeat_interval_seconds",
}  # fmt: skip
LIMITS = {
    "group_wait_seconds": (0, 3600),
    "group_interval_seconds": (5, 86400),
    "repeat_interval_seconds": (60, 30 * 86400),
    "position": (0, 100000),
}


# --- Channels ----------------------------------------------------------------------------------


def channel_state(channel: Channel) -> dict[str, Any]:
    """What the audit log keeps: never the secret, and chat URLs (credentials) masked."""
    cls = notifier_class(channel.kind)
    return {
        "name": channel.name,
        "kind": channel.kind,
        "enabled": channel.enabled,
        "config": cls.public_config(channel.config),
        "has_secret": bool(channel.secret),
        "network_scope": channel.network_scope,
    }


def _clean_channel(channel: Channel) -> None:
    cls = notifier_class(channel.kind)
    channel.config = cls.clean_config(channel.config or {})
    if cls.needs_secret and len(channel.secret) < MIN_SECRET:
        raise ValidationFailed(
            f"A webhook needs a signing secret of at least {MIN_SECRET} characters.",
            field="secret",
        )
    if not cls.needs_secret:
        channel.secret = ""
    url = channel.config.get("url")
    if isinstance(url, str) and url:
        host = urlsplit(url).hostname or ""
        netguard.check_host(host, channel.network_scope, field="config.url")
    full_clean(channel, exclude=["config", "secret"])  # client kept: names are unique per client


@transaction.atomic
def create_channel(
    *,
    actor: Actor,
    client: Client,
    name: str,
    kind: str,
    config: Mapping[str, Any],
    secret: str = "",
    enabled: bool = True,
    network_scope: str | None = None,
) -> Channel:
    require(actor, Perm.NOTIFY_MANAGE)
    channel = Channel(
        client=client, name=name, kind=kind, config=dict(config), secret=secret, enabled=enabled
    )
    channel.network_scope = netguard.scope_for(actor, network_scope)
    _clean_channel(channel)
    channel.save()
    audit.record(
        actor=actor,
        action="notification_channel.created",
        obj=channel,
        after=channel_state(channel),
    )
    return channel


@transaction.atomic
def update_channel(*, actor: Actor, channel: Channel, changes: Mapping[str, Any]) -> Channel:
    """`config` replaces the settings; `secret`, when sent and not empty, replaces the secret."""
    require(actor, Perm.NOTIFY_MANAGE)
    before = channel_state(channel)
    changes = dict(changes)
    channel.network_scope = netguard.scope_for(
        actor, changes.pop("network_scope", None), channel.network_scope
    )
    for name, value in changes.items():
        if name not in {"name", "enabled", "config", "secret"}:
            raise ValidationFailed(f"'{name}' cannot be changed here.", field=name)
        if name == "secret" and not value:
            continue  # write-only: an empty field in a form means "keep it"
        setattr(channel, name, value)
    _clean_channel(channel)
    channel.save()
    after = channel_state(channel)
    if after != before or changes.get("secret"):
        audit.record(
            actor=actor,
            action="notification_channel.changed",
            obj=channel,
            before=before,
            after={**after, "secret_changed": bool(changes.get("secret"))},
        )
    return channel


@transaction.atomic
def delete_channel(*, actor: Actor, channel: Channel) -> None:
    require(actor, Perm.NOTIFY_MANAGE)
    audit.record(
        actor=actor,
        action="notification_channel.deleted",
        obj=channel,
        before=channel_state(channel),
    )
    channel.delete()


@transaction.atomic
def send_test(*, actor: Actor, channel: Channel) -> OutboxMessage:
    """Queue a test message to the channel; the delivery log shows how it went."""
    require(actor, Perm.NOTIFY_MANAGE)
    now = timezone.now()
    client = channel.client
    with translation.override(client.language or settings.LANGUAGE_CODE):
        item = Item(
            problem_id=0,
            kind="test",
            severity="warning",
            title=gettext("OpenMSP test notification"),
            summary=gettext("Sent by %(actor)s to check the channel “%(channel)s”.")
            % {"actor": actor.label, "channel": channel.name},
            at=now,
        )
        notification = Notification(
            idempotency_key=f"test:{channel.pk}:{uuid.uuid4().hex}",
            client_id=channel.client_id,
            client_name=client.name,
            subject=content.channel_test_subject(client_name=client.name, channel=channel.name),
            status="test",
            items=(item,),
            language=translation.get_language(),
        )
    message = outbox.enqueue(notification=notification, channel=channel, origin="test")
    audit.record(
        actor=actor,
        action="notification_channel.test_sent",
        obj=channel,
        after={"message_id": message.pk},
    )
    return message


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


# --- Routes ------------------------------------------------------------------------------------


def _choices(value: Any, allowed: Sequence[str] | None, field: str) -> list[str]:
    items = list(dict.fromkeys(str(v).strip() for v in (value or []) if str(v).strip()))
    if len(items) > MAX_LIST:
        raise ValidationFailed(f"At most {MAX_LIST} values.", field=field)
    for item in items:
        if allowed is not None and item not in allowed:
            raise ValidationFailed(f"'{item}' is not one of {', '.join(allowed)}.", field=field)
        if len(item) > 100:
            raise ValidationFailed("Values are at most 100 characters.", field=field)
    return items


def clean_matchers(raw: Any) -> list[dict[str, str]]:
    out = []
    for index, matcher in enumerate(raw or []):
        field = f"label_matchers.{index}"
        if not isinstance(matcher, Mapping) or set(matcher) != {"name", "op", "value"}:
            raise ValidationFailed("A matcher has exactly name, op and value.", field=field)
        name, op, value = (str(matcher[k]) for k in ("name", "op", "value"))
        if not name or len(name) > 100:
            raise ValidationFailed("A label name is 1-100 characters.", field=f"{field}.name")
        if op not in routing.OPS:
            raise ValidationFailed(
                f"op must be one of {', '.join(routing.OPS)}.", field=f"{field}.op"
            )
        problem = routing.check_pattern(value) if op in ("=~", "!~") else None
        if problem:
            raise ValidationFailed(problem, field=f"{field}.value")
        out.append({"name": name, "op": op, "value": value})
    if len(out) > MAX_LIST:
        raise ValidationFailed(f"At most {MAX_LIST} matchers.", field="label_matchers")
    return out


def _clean_route(route: Route) -> None:
    route.severities = _choices(route.severities, SEVERITIES, "severities")
    route.kinds = _choices(route.kinds, KINDS, "kinds")
    route.sources = _choices(route.sources, None, "sources")
    route.group_by = _choices(route.group_by, None, "group_by")
    route.label_matchers = clean_matchers(route.label_matchers)
    for name, (low, high) in LIMITS.items():
        value = getattr(route, name)
        if not isinstance(value, int) or not low <= value <= high:
            raise ValidationFailed(f"{name} must be between {low} and {high}.", field=name)
    # The JSON lists were cleaned above; the client stays in so the unique names are checked.
    full_clean(route, exclude=["severities", "sources", "kinds", "label_matchers", "group_by"])


def _check_targets(
    client: Client, channels: Sequence[Channel], people: Sequence[User], prefix: str = ""
) -> None:
    for channel in channels:
        if channel.client_id != client.pk:
            raise ValidationFailed(
                f"No such channel (id {channel.pk}).", field=f"{prefix}channel_ids"
            )
    for user in people:
        assigned = user.all_clients or user.assigned_clients.filter(pk=client.pk).exists()
        if not (user.is_active and user.is_msp_staff and assigned):
            raise ValidationFailed(
                f"{user.email} is not MSP staff who may see this client.",
                field=f"{prefix}people_ids",
            )


def route_state(route: Route) -> dict[str, Any]:
    data = audit.snapshot(route)
    data["steps"] = [
        {
            "after_minutes": s.after_minutes,
            "channels": sorted(c.pk for c in s.channels.all()),
            "people": sorted(u.pk for u in s.people.all()),
            "oncall_schedules": sorted(x.pk for x in s.oncall_schedules.all()),
        }
        for s in route.steps.all()
    ]
    return data


def _check_schedules(client: Client, schedules: Sequence[Schedule], field: str) -> None:
    for schedule in schedules:
        if schedule.client_id not in (None, client.pk):
            raise ValidationFailed(f"No such on-call schedule (id {schedule.pk}).", field=field)


def _set_targets(
    route: Route,
    channels: Sequence[Channel] | None,
    people: Sequence[User] | None,
    steps: Sequence[Mapping[str, Any]] | None,
    schedules: Sequence[Schedule] | None = None,
) -> None:
    if schedules is not None:
        _check_schedules(route.client, schedules, "oncall_schedule_ids")
        route.oncall_schedules.set(schedules)
    if channels is not None:
        _check_targets(route.client, channels, [])
        route.channels.set(channels)
    if people is not None:
        _check_targets(route.client, [], people)
        route.people.set(people)
    if steps is not None:
        _set_steps(route, steps)


def _set_steps(route: Route, steps: Sequence[Mapping[str, Any]]) -> None:
    if len(steps) > 10:
        raise ValidationFailed("A ladder has at most 10 steps.", field="steps")
    previous = -1
    route.steps.all().delete()  # pending escalations of removed steps go with them
    for number, spec in enumerate(steps, start=1):
        after = spec["after_minutes"]
        if not isinstance(after, int) or not 1 <= after <= 7 * 1440 or after <= previous:
            raise ValidationFailed(
                "Each step comes 1 minute to 7 days after firing, later than the step before.",
                field=f"steps.{number - 1}.after_minutes",
            )
        previous = after
        channels, people = list(spec.get("channels", [])), list(spec.get("people", []))
        schedules = list(spec.get("oncall_schedules", []))
        _check_targets(route.client, channels, people, prefix=f"steps.{number - 1}.")
        _check_schedules(route.client, schedules, f"steps.{number - 1}.oncall_schedule_ids")
        if not channels and not people and not schedules:
            raise ValidationFailed(
                "A step names at least one channel, person or on-call schedule.",
                field=f"steps.{number - 1}",
            )
        step = EscalationStep.objects.create(route=route, number=number, after_minutes=after)
        step.channels.set(channels)
        step.people.set(people)
        step.oncall_schedules.set(schedules)


@transaction.atomic
def create_route(
    *,
    actor: Actor,
    client: Client,
    name: str,
    channels: Sequence[Channel] = (),
    people: Sequence[User] = (),
    steps: Sequence[Mapping[str, Any]] = (),
    oncall_schedules: Sequence[Schedule] = (),
    **fields: Any,
) -> Route:
    require(actor, Perm.NOTIFY_MANAGE)
    unknown = set(fields) - ROUTE_FIELDS
    if unknown:
        name_ = sorted(unknown)[0]
        raise ValidationFailed(f"'{name_}' is not a route setting.", field=name_)
    route = Route(client=client, name=name, **fields)
    _clean_route(route)
    route.save()
    _set_targets(route, channels, people, steps, oncall_schedules)
    audit.record(
        actor=actor, action="notification_route.created", obj=route, after=route_state(route)
    )
    return route


@transaction.atomic
def update_route(
    *,
    actor: Actor,
    route: Route,
    changes: Mapping[str, Any],
    channels: Sequence[Channel] | None = None,
    people: Sequence[User] | None = None,
    steps: Sequence[Mapping[str, Any]] | None = None,
    oncall_schedules: Sequence[Schedule] | None = None,
) -> Route:
    require(actor, Perm.NOTIFY_MANAGE)
    before = route_state(route)
    for name, value in changes.items():
        if name not in ROUTE_FIELDS:
            raise ValidationFailed(f"'{name}' cannot be changed here.", field=name)
        setattr(route, name, value)
    _clean_route(route)
    route.save()
    _set_targets(route, channels, people, steps, oncall_schedules)
    after = route_state(route)
    if after != before:
        changed = sorted(k for k in after if after[k] != before.get(k))
        audit.record(
            actor=actor,
            action="notification_route.changed",
            obj=route,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return route


@transaction.atomic
def delete_route(*, actor: Actor, route: Route) -> None:
    require(actor, Perm.NOTIFY_MANAGE)
    audit.record(
        actor=actor, action="notification_route.deleted", obj=route, before=route_state(route)
    )
    route.delete()
