"""API shapes shared by every app (the error body) and the audit log's own input and output."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import Instant, ListQuery, Page, Text
from openmsp.core.audit import CATEGORY_ACCESS, CATEGORY_CHANGE, CATEGORY_EXPORT, CATEGORY_PERMISSION

Category = Literal["change", "access", "permission", "export"]
assert {CATEGORY_CHANGE, CATEGORY_ACCESS, CATEGORY_PERMISSION, CATEGORY_EXPORT} == {
    "change",
    "access",
    "permission",
    "export",
}


class AuditQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, description="Records about this client only.")
    actor_id: int | None = Field(None, ge=1, description="Records of this user's actions only.")
    action: Text[80] | None = Field(None, description="Exact action, e.g. `client.updated`.")
    category: Category | None = None
    object_type: Text[80] | None = Field(None, description="E.g. `tenants.client`.")
    object_id: Text[64] | None = None
    since: Instant | None = Field(None, description="Records at or after this instant.")
    until: Instant | None = Field(None, description="Records before this instant.")
    ordering: Literal["-seq", "seq"] = "-seq"


class AuditExportQuery(AuditQuery):
    format: Literal["csv", "json"] = "csv"
    # An export is the whole filtered log; paging does not apply.
    limit: int = Field(50, ge=1, le=500, json_schema_extra={"deprecated": True})


class AuditRecordOut(Schema):
    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    client_id: int | None
    action: str
    category: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any = Field(None, description="Changed fields before (JSON), if any.")
    after: Any = Field(None, description="Changed fields after (JSON), if any.")
    ip: str
    request_id: str
    prev_hash: str
    hash: str


class AuditPage(Page[AuditRecordOut]):
    pass


class AuditVerifyOut(Schema):
    ok: bool
    checked: int = Field(description="Records verified.")
    broken_seq: int | None = Field(description="The first record that does not fit, if any.")
    reason: str
