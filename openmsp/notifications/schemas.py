"""API shapes of notification channels, routing rules and the delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, ListQuery, Page, omittable
from openmsp.integrations.registry import notifier_class
from openmsp.notifications.models import Channel, EscalationStep, OutboxMessage, Route

Kind = Literal["email", "webhook", "slack", "teams"]
Severity = Literal["warning", "critical"]
ChangeKind = Literal["firing", "acknowledged", "resolved", "escalated", "flapping", "reopened"]
Ids = list[int]
Names = list[str]


class ChannelIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    enabled: bool = True
    config: dict[str, Any] = Field(
        description="email: {recipients: [...]}; webhook/slack: {url}; teams: {url, format: "
        "messagecard|adaptive}."
    )
    secret: str = Field("", max_length=200, description="Webhook signing key (write-only).")
    network_scope: Literal["public", "private", "internal"] | None = Field(
        None,
        description="Which addresses the URL may reach (docs/security.md): public for client "
        "users; private (MSP staff); internal (MSP owner or admin). Omitted: the widest the "
        "caller may set, at most private.",
    )


class ChannelPatch(InputSchema):
    name: str = omittable(min_length=1, max_length=100)
    enabled: bool = omittable()
    config: dict[str, Any] = omittable()
    secret: str = omittable(max_length=200)
    network_scope: Literal["public", "private", "internal"] = omittable()


class ChannelOut(Schema):
    id: int
    client_id: int
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any] = Field(description="Chat webhook URLs are shown masked.")
    has_secret: bool
    network_scope: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_config(obj: Channel) -> dict[str, Any]:
        return notifier_class(obj.kind).public_config(obj.config)

    @staticmethod
    def resolve_has_secret(obj: Channel) -> bool:
        return bool(obj.secret)


class ChannelQuery(ListQuery):
    kind: Kind | None = None
    ordering: Literal["name", "-name", "created_at", "-created_at"] = "name"


class ChannelPage(Page[ChannelOut]):
    pass


class MatcherIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    op: Literal["=", "!=", "=~", "!~"]
    value: str = Field(max_length=500)


class StepIn(InputSchema):
    after_minutes: int = Field(ge=1, le=7 * 1440)
    channel_ids: Ids = Field(default_factory=list, max_length=20)
    people_ids: Ids = Field(default_factory=list, max_length=20)
    oncall_schedule_ids: Ids = Field(
        default_factory=list, max_length=10, description="Page whoever is on call in these."
    )


class RouteIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(100, ge=0, le=100000)
    enabled: bool = True
    is_default: bool = False
    continue_matching: bool = False
    severities: list[Severity] = Field(default_factory=list)
    sources: Names = Field(default_factory=list, max_length=20)
    kinds: list[ChangeKind] = Field(default_factory=list)
    label_matchers: list[MatcherIn] = Field(default_factory=list, max_length=20)
    group_by: Names = Field(default_factory=list, max_length=20)
    group_wait_seconds: int = Field(30, ge=0, le=3600)
    group_interval_seconds: int = Field(300, ge=5, le=86400)
    repeat_interval_seconds: int = Field(14400, ge=60, le=30 * 86400)
    channel_ids: Ids = Field(default_factory=list, max_length=20)
    people_ids: Ids = Field(default_factory=list, max_length=20)
    oncall_schedule_ids: Ids = Field(
        default_factory=list, max_length=10, description="Tell whoever is on call in these."
    )
    steps: list[StepIn] = Field(default_factory=list, max_length=10)


class RoutePatch(InputSchema):
    name: str = omittable(min_length=1, max_length=100)
    position: int = omittable(ge=0, le=100000)
    enabled: bool = omittable()
    is_default: bool = omittable()
    continue_matching: bool = omittable()
    severities: list[Severity] = omittable()
    sources: Names = omittable(max_length=20)
    kinds: list[ChangeKind] = omittable()
    label_matchers: list[MatcherIn] = omittable(max_length=20)
    group_by: Names = omittable(max_length=20)
    group_wait_seconds: int = omittable(ge=0, le=3600)
    group_interval_seconds: int = omittable(ge=5, le=86400)
    repeat_interval_seconds: int = omittable(ge=60, le=30 * 86400)
    channel_ids: Ids = omittable(max_length=20)
    people_ids: Ids = omittable(max_length=20)
    oncall_schedule_ids: Ids = omittable(max_length=10)
    steps: list[StepIn] = omittable(max_length=10)


class StepOut(Schema):
    number: int
    after_minutes: int
    channel_ids: Ids
    people_ids: Ids
    oncall_schedule_ids: Ids

    @staticmethod
    def resolve_channel_ids(obj: EscalationStep) -> Ids:
        return [c.pk for c in obj.channels.all()]

    @staticmethod
    def resolve_people_ids(obj: EscalationStep) -> Ids:
        return [u.pk for u in obj.people.all()]

    @staticmethod
    def resolve_oncall_schedule_ids(obj: EscalationStep) -> Ids:
        return [s.pk for s in obj.oncall_schedules.all()]


class RouteOut(Schema):
    id: int
    client_id: int
    name: str
    position: int
    enabled: bool
    is_default: bool
    continue_matching: bool
    severities: Names
    sources: Names
    kinds: Names
    label_matchers: list[dict[str, str]]
    group_by: Names
    group_wait_seconds: int
    group_interval_seconds: int
    repeat_interval_seconds: int
    channel_ids: Ids
    people_ids: Ids
    oncall_schedule_ids: Ids
    steps: list[StepOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_channel_ids(obj: Route) -> Ids:
        return [c.pk for c in obj.channels.all()]

    @staticmethod
    def resolve_people_ids(obj: Route) -> Ids:
        return [u.pk for u in obj.people.all()]

    @staticmethod
    def resolve_oncall_schedule_ids(obj: Route) -> Ids:
        return [s.pk for s in obj.oncall_schedules.all()]

    @staticmethod
    def resolve_steps(obj: Route) -> list[EscalationStep]:
        return list(obj.steps.all())


class RouteQuery(ListQuery):
    ordering: Literal["position", "-position", "name", "-name"] = "position"


class RoutePage(Page[RouteOut]):
    pass


class AttemptOut(Schema):
    number: int
    worker: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    ok: bool | None = Field(description="Empty: the worker never reported back (it died).")
    detail: str


class DeliveryOut(Schema):
    id: int
    client_id: int
    channel_id: int | None
    channel_name: str
    kind: str
    origin: str
    route_id: int | None
    recipients: Names
    subject: str
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    sent_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_channel_name(obj: OutboxMessage) -> str:
        return obj.channel.name if obj.channel is not None else ""


class DeliveryDetailOut(DeliveryOut):
    problems: int = Field(description="How many problems the message tells of.")
    log: list[AttemptOut]

    @staticmethod
    def resolve_problems(obj: OutboxMessage) -> int:
        return len(obj.payload.get("items", []))

    @staticmethod
    def resolve_log(obj: OutboxMessage) -> list[Any]:
        return list(obj.log.order_by("number"))


class DeliveryQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel_id: int | None = Field(None, ge=1, le=MAX_ID)
    route_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: OutboxMessage.Status | None = None
    kind: Kind | None = None
    origin: OutboxMessage.Origin | None = None
    ordering: Literal["created_at", "-created_at"] = "-created_at"


class DeliveryPage(Page[DeliveryOut]):
    pass
