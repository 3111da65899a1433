"""API shapes of checks and their results. Kind-specific `settings` are validated by the kind's
model in monitoring.probes.specs (errors name `settings.<field>`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, Instant, ListQuery, Page, omittable
from openmsp.monitoring.models import (
    MAX_INTERVAL,
    MAX_RETRIES,
    MAX_TIMEOUT,
    MIN_INTERVAL,
    Check,
    CheckStatus,
)
from openmsp.monitoring.probes.specs import Kind, masked

SETTINGS_DOC = (
    "Kind-specific settings (see docs/checks.md): tcp {port}; http {method, expected_status, "
    "expected_text, follow_redirects, max_redirects, headers, body, verify_tls}; tls {port, "
    "warning_days, critical_days}; dns {server, record_type, expected}; icmp {count}; snmp "
    "{version, community | username, auth/priv keys, metric, if_index, oid, warning, critical}."
)

SCOPE_DOC = (
    "Which addresses the check may reach (docs/security.md): public (client users' checks), "
    "private (also private ranges; MSP staff), internal (also loopback and link-local; MSP owner "
    "or admin). Omitted: the widest the caller may set, at most private."
)


class _Knobs(InputSchema):
    failures_to_fire: int = Field(1, ge=1, le=100)
    hold_down_seconds: int = Field(0, ge=0, le=86400)
    successes_to_recover: int = Field(1, ge=1, le=100)
    recovery_seconds: int = Field(0, ge=0, le=86400)
    flap_threshold: int = Field(0, ge=0, le=100, description="0: no flap detection.")
    flap_window_seconds: int = Field(3600, ge=60, le=7 * 86400)


class CheckIn(_Knobs):
    client_id: int = Field(ge=1, le=MAX_ID)
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID, description="The host it concerns.")
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    target: str = Field(min_length=1, max_length=2000, description="URL for http, else a host.")
    settings: dict[str, Any] = Field(default_factory=dict, description=SETTINGS_DOC)
    interval_seconds: int = Field(60, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    timeout_seconds: float = Field(10, ge=0.1, le=MAX_TIMEOUT)
    retries: int = Field(0, ge=0, le=MAX_RETRIES)
    enabled: bool = True
    tags: list[str] = Field(default_factory=list, max_length=30)
    network_scope: Literal["public", "private", "internal"] | None = Field(
        None, description=SCOPE_DOC
    )


class CheckPatch(InputSchema):
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str = omittable(min_length=1, max_length=200)
    target: str = omittable(min_length=1, max_length=2000)
    settings: dict[str, Any] = omittable(description=SETTINGS_DOC)
    interval_seconds: int = omittable(ge=MIN_INTERVAL, le=MAX_INTERVAL)
    timeout_seconds: float = omittable(ge=0.1, le=MAX_TIMEOUT)
    retries: int = omittable(ge=0, le=MAX_RETRIES)
    enabled: bool = omittable()
    tags: list[str] = omittable(max_length=30)
    network_scope: Literal["public", "private", "internal"] = omittable(description=SCOPE_DOC)
    failures_to_fire: int = omittable(ge=1, le=100)
    hold_down_seconds: int = omittable(ge=0, le=86400)
    successes_to_recover: int = omittable(ge=1, le=100)
    recovery_seconds: int = omittable(ge=0, le=86400)
    flap_threshold: int = omittable(ge=0, le=100)
    flap_window_seconds: int = omittable(ge=60, le=7 * 86400)


class CheckOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    asset_id: int | None
    name: str
    kind: str
    target: str
    settings: dict[str, Any] = Field(description="Secrets are shown as ********.")
    interval_seconds: int
    timeout_seconds: float
    retries: int
    enabled: bool
    tags: list[str]
    network_scope: str
    failures_to_fire: int
    hold_down_seconds: int
    successes_to_recover: int
    recovery_seconds: int
    flap_threshold: int
    flap_window_seconds: int
    next_check_at: dt.datetime | None
    last_status: str
    last_result_at: dt.datetime | None
    last_latency_ms: float | None
    last_summary: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_settings(obj: Check) -> dict[str, Any]:
        return masked(obj.kind, obj.settings or {})


class CheckQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Kind | None = None
    status: CheckStatus | None = None
    enabled: bool | None = None
    q: str | None = Field(None, max_length=200, description="Part of the name or target.")
    ordering: Literal["name", "-name", "last_status", "-last_status", "last_result_at", "-last_result_at", "created_at", "-created_at"] = "name"  # fmt: skip


class CheckPage(Page[CheckOut]):
    pass


class ResultQuery(ListQuery):
    since: Instant | None = None
    until: Instant | None = None


class ResultOut(Schema):
    id: int
    at: dt.datetime
    status: str
    latency_ms: float | None
    summary: str
    details: dict[str, Any]
    lag_ms: int | None
    attempts: int


class ResultPage(Page[ResultOut]):
    pass


class TestResultOut(Schema):
    status: str
    latency_ms: float | None
    summary: str
    details: dict[str, Any]
    stored: bool = Field(description="Always false: a test run is neither stored nor observed.")
