"""Channels and routes of a client, made through the real actions."""

from __future__ import annotations

from typing import Any

from openmsp.core.actor import Actor
from openmsp.notifications import actions
from openmsp.notifications.models import Channel, Route

SYSTEM = Actor.system("test")
SECRET = "s3cret-signing-key-of-hanbit-0001"


def email_channel(client: Any, *recipients: str, name: str = "NOC mail") -> Channel:
    return actions.create_channel(
        actor=SYSTEM,
        client=client,
        name=name,
        kind="email",
        config={"recipients": list(recipients) or ["noc@hanbit.example"]},
    )


def webhook_channel(
    client: Any, url: str, name: str = "Ops hook", kind: str = "webhook", **config: Any
) -> Channel:
    return actions.create_channel(
        actor=SYSTEM,
        client=client,
        name=name,
        kind=kind,
        config={"url": url, **config},
        secret=SECRET if kind == "webhook" else "",
    )


def route(client: Any, *channels: Channel, name: str = "All problems", **fields: Any) -> Route:
    fields.setdefault("group_wait_seconds", 30)
    fields.setdefault("group_interval_seconds", 300)
    return actions.create_route(
        actor=SYSTEM, client=client, name=name, channels=list(channels), **fields
    )
