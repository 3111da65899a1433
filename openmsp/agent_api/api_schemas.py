"""REST API shapes of enrollment tokens and commands (the agents' own wire format is schemas.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from openmsp.agent_api.actions import MAX_SCRIPT_CHARS, MAX_SELECTION, MAX_TIMEOUT
from openmsp.agent_api.models import Command, CommandRun, EnrollmentToken
from openmsp.core.apiutils import MAX_ID, InputSchema, Instant, ListQuery, Page

# --- Enrollment tokens --------------------------------------------------------------------------


class EnrollmentTokenIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    site_id: int | None = Field(None, ge=1, le=MAX_ID, description="Agents' assets get this site.")
    name: str = Field("", max_length=100)
    expires_at: Instant | None = Field(None, description="Default: in 7 days; at most 365 days.")
    max_uses: int | None = Field(None, ge=1, le=100_000, description="Empty: no limit.")


class EnrollmentTokenOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    name: str
    prefix: str = Field(description="The token's first characters after ome_, to recognise it.")
    expires_at: dt.datetime
    max_uses: int | None
    uses: int
    revoked_at: dt.datetime | None
    created_by_id: int | None
    created_at: dt.datetime
    state: Literal["active", "expired", "revoked", "used_up"]

    @staticmethod
    def resolve_state(obj: EnrollmentToken) -> str:
        if obj.revoked_at is not None:
            return "revoked"
        if obj.expires_at <= timezone.now():
            return "expired"
        if obj.max_uses is not None and obj.uses >= obj.max_uses:
            return "used_up"
        return "active"


class EnrollmentTokenCreated(EnrollmentTokenOut):
    token: str = Field(description="The token itself (ome_…). Shown only in this answer.")


class EnrollmentTokenQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    ordering: Literal["created_at", "-created_at", "expires_at", "-expires_at"] = "-created_at"


class EnrollmentTokenPage(Page[EnrollmentTokenOut]):
    pass


# --- Commands -----------------------------------------------------------------------------------


class CommandIn(InputSchema):
    # A script is run as written: no trimming of leading or trailing blanks.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    asset_ids: list[int] = Field(min_length=1, max_length=MAX_SELECTION)
    script: str = Field(min_length=1, max_length=MAX_SCRIPT_CHARS)
    interpreter: str = Field("/bin/sh", min_length=1, max_length=200)
    timeout_seconds: int = Field(60, ge=1, le=MAX_TIMEOUT)
    run_as: str = Field("root", min_length=1, max_length=64)


class CommandRunSummaryOut(Schema):
    id: uuid.UUID
    asset_id: int
    asset_name: str
    status: str
    exit_code: int | None
    truncated: bool
    delivered_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_asset_name(obj: CommandRun) -> str:
        return obj.asset.name


class CommandOut(Schema):
    id: int
    client_id: int
    created_by_id: int | None
    kind: str
    script: str
    interpreter: str
    timeout_seconds: int
    run_as: str
    not_after: dt.datetime
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
    run_count: int
    open_count: int = Field(description="Runs still queued or delivered without a result.")


class CommandDetailOut(CommandOut):
    runs: list[CommandRunSummaryOut]

    @staticmethod
    def resolve_runs(obj: Command) -> list[CommandRun]:
        return list(obj.runs.all())


class CommandQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID, description="Commands that ran on it.")
    ordering: Literal["created_at", "-created_at"] = "-created_at"


class CommandPage(Page[CommandOut]):
    pass


class CommandRunOut(Schema):
    id: uuid.UUID
    command_id: int
    asset_id: int
    agent_id: uuid.UUID
    status: str
    exit_code: int | None
    stdout: str
    stderr: str
    truncated: bool
    refused_reason: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result_at: dt.datetime | None
