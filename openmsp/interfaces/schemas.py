"""API shapes of interfaces, their runs, and the solution's report."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from ninja import Schema
from pydantic import Field, model_validator

from openmsp.core.apiutils import MAX_ID, InputSchema, Instant, ListQuery, Page, omittable
from openmsp.interfaces.models import Interface, InterfaceRun

TEXT = 10_000
BIG = 2**62
CODE = r"^[-a-z0-9_]+$"


def report_url() -> str:
    return f"{settings.SITE_URL}/api/v1/interfaces/report"


# --- The solution's report ---------------------------------------------------------------------


class RunIn(InputSchema):
    run_id: str = Field(min_length=1, max_length=200, description="Unique per interface.")
    started_at: Instant
    finished_at: Instant | None = Field(None, description="Omitted while the batch runs.")
    records_processed: int = Field(0, ge=0, le=BIG, description="All records, failed included.")
    records_failed: int = Field(0, ge=0, le=BIG)
    failures_by_code: dict[str, int] = Field(default_factory=dict, max_length=200)
    latency_p95_ms: float | None = Field(None, ge=0, le=1e12)
    backlog_depth: int | None = Field(None, ge=0, le=BIG)
    oldest_message_age_s: int | None = Field(None, ge=0, le=BIG)

    @model_validator(mode="after")
    def _consistent(self) -> RunIn:
        if self.records_failed > self.records_processed:
            raise ValueError("records_failed cannot exceed records_processed")
        if self.finished_at is not None and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        if any(len(k) > 100 or v < 0 for k, v in self.failures_by_code.items()):
            raise ValueError("failures_by_code: codes of 1-100 characters, counts 0 or more")
        return self


class ReportIn(InputSchema):
    runs: list[RunIn] = Field(min_length=1, max_length=500)


# --- Interfaces ---------------------------------------------------------------------------------


class InterfaceIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=100, pattern=CODE)
    description: str = Field("", max_length=TEXT)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="A member of the MSP staff.")
    owner_name: str = Field(
        "", max_length=200, description="Or a name, for someone without an account."
    )
    source_system: str = Field("", max_length=200)
    target_system: str = Field("", max_length=200)
    direction: Interface.Direction = Interface.Direction.OUTBOUND
    protocol: Interface.Protocol = Interface.Protocol.OTHER
    tags: list[str] = Field(default_factory=list, max_length=20)
    cron: str = Field("", max_length=100, description="When a batch starts, e.g. '0 2 * * *'.")
    time_zone: str = Field(
        "Asia/Seoul", max_length=64, description="IANA name the cron is read in."
    )
    start_grace_minutes: int = Field(15, ge=0, le=1440)
    deadline_minutes: int | None = Field(
        None, ge=1, le=10080, description="Finish by start + this."
    )
    max_error_rate: float | None = Field(None, ge=0, le=100, description="Percent.")
    max_failures: int | None = Field(None, ge=0, le=2**31 - 1)
    max_backlog: int | None = Field(None, ge=0, le=2**31 - 1)
    max_oldest_age_seconds: int | None = Field(None, ge=0, le=2**31 - 1)
    max_latency_ms: int | None = Field(None, ge=0, le=2**31 - 1)
    expect_traffic: bool = False
    min_traffic_ratio: float = Field(0.3, ge=0.01, le=1)


class InterfacePatch(InputSchema):
    name: str = omittable(min_length=1, max_length=200)
    code: str = omittable(min_length=1, max_length=100, pattern=CODE)
    description: str = omittable(max_length=TEXT)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    owner_name: str = omittable(max_length=200)
    source_system: str = omittable(max_length=200)
    target_system: str = omittable(max_length=200)
    direction: Interface.Direction = omittable()
    protocol: Interface.Protocol = omittable()
    tags: list[str] = omittable(max_length=20)
    cron: str = omittable(max_length=100)
    time_zone: str = omittable(max_length=64)
    start_grace_minutes: int = omittable(ge=0, le=1440)
    deadline_minutes: int | None = Field(None, ge=1, le=10080)
    max_error_rate: float | None = Field(None, ge=0, le=100)
    max_failures: int | None = Field(None, ge=0, le=2**31 - 1)
    max_backlog: int | None = Field(None, ge=0, le=2**31 - 1)
    max_oldest_age_seconds: int | None = Field(None, ge=0, le=2**31 - 1)
    max_latency_ms: int | None = Field(None, ge=0, le=2**31 - 1)
    expect_traffic: bool = omittable()
    min_traffic_ratio: float = omittable(ge=0.01, le=1)
    paused: bool = omittable()


class InterfaceOut(Schema):
    id: int
    client_id: int
    name: str
    code: str
    description: str
    owner_id: int | None
    owner_name: str
    source_system: str
    target_system: str
    direction: str
    protocol: str
    tags: list[str]
    cron: str
    time_zone: str
    start_grace_minutes: int
    deadline_minutes: int | None
    max_error_rate: float | None
    max_failures: int | None
    max_backlog: int | None
    max_oldest_age_seconds: int | None
    max_latency_ms: int | None
    expect_traffic: bool
    min_traffic_ratio: float
    paused: bool
    token_prefix: str
    report_url: str
    report_token: str | None = Field(None, description="Only when just created: keep it secret.")
    rule_status: dict[str, str]
    last_run_at: dt.datetime | None
    next_evaluation_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_report_url(obj: Interface) -> str:
        return report_url()

    @staticmethod
    def resolve_report_token(obj: Interface) -> str | None:
        return getattr(obj, "new_report_token", None)


class InterfaceQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=200, description="Part of name, code or a system.")
    ordering: Literal["name", "-name", "code", "-code", "last_run_at", "-last_run_at", "created_at", "-created_at"] = "name"  # fmt: skip


class InterfacePage(Page[InterfaceOut]):
    pass


class RunQuery(ListQuery):
    since: Instant | None = Field(None, description="Runs started at or after this instant.")


class RunOut(Schema):
    id: int
    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    records_processed: int
    records_failed: int
    failures_by_code: dict[str, int]
    latency_p95_ms: float | None
    backlog_depth: int | None
    oldest_message_age_s: int | None
    received_at: dt.datetime

    @staticmethod
    def resolve_records_processed(obj: InterfaceRun) -> int:
        return obj.processed

    @staticmethod
    def resolve_records_failed(obj: InterfaceRun) -> int:
        return obj.failed

    @staticmethod
    def resolve_oldest_message_age_s(obj: InterfaceRun) -> int | None:
        return obj.oldest_message_age_seconds


class RunPage(Page[RunOut]):
    pass


class TokenOut(Schema):
    id: int
    token_prefix: str
    report_token: str
    report_url: str
