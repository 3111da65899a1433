"""API shapes of the audit log: its filters, its records, the chain check."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_serializer

from openmsp.core.apiutils import MAX_ID, Instant, ListQuery, Page, QuerySchema

Category = Literal["change", "access", "permission", "export"]


class AuditFilters(QuerySchema):
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="About this client only.")
    actor_id: int | None = Field(None, ge=1, le=MAX_ID, description="By this user only.")
    action: str | None = Field(
        None, max_length=80, description="Exact action, e.g. client.updated."
    )
    category: Category | None = Field(None, description="Retention category of the record.")
    object_type: str | None = Field(None, max_length=80, description="E.g. tenants.client.")
    object_id: str | None = Field(None, max_length=64)
    since: Instant | None = Field(None, description="At or after this instant.")
    until: Instant | None = Field(None, description="Before this instant.")


class AuditQuery(ListQuery, AuditFilters):
    ordering: Literal["-seq", "seq"] = Field("-seq", description="Newest first by default.")


class AuditExportQuery(AuditFilters):
    format: Literal["csv", "json"] = Field("csv", description="CSV (one row per record) or JSON.")


class AuditRecordOut(Schema):
    seq: int = Field(description="Position in the hash chain.")
    at: dt.datetime = Field(description="UTC, to the microsecond (the hash covers it).")
    actor_id: int | None
    actor_label: str
    client_id: int | None
    action: str
    category: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any = Field(None, description="Changed fields before the change (JSON), if any.")
    after: Any = Field(None, description="Changed fields after the change (JSON), if any.")
    ip: str
    request_id: str
    prev_hash: str
    hash: str

    @field_serializer("at")
    def _exact(self, value: dt.datetime) -> str:
        # Microseconds as the hash chain writes them; the default JSON encoder keeps milliseconds.
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


class AuditPage(Page[AuditRecordOut]):
    pass


class AuditVerifyOut(Schema):
    ok: bool
    checked: int = Field(description="Records verified.")
    broken_seq: int | None = Field(description="The first record that does not fit, if any.")
    reason: str = Field(description="Why that record does not fit; empty when ok.")
