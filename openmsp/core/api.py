"""REST endpoints for the audit log: list, export (CSV/JSON, streamed), verify the hash chain."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router

from openmsp.accounts.auth import actor_from
from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import record_audit_export
from openmsp.core.actor import Actor
from openmsp.core.apiutils import check_query_params, endpoint, page, require_to_read
from openmsp.core.models import AuditRecord
from openmsp.core.queries import audit_visible_to
from openmsp.core.schemas import (
    AuditExportQuery,
    AuditFilters,
    AuditPage,
    AuditQuery,
    AuditRecordOut,
    AuditVerifyOut,
)

router = Router()

EXPORT_BATCH = 1000
EXPORT_COLUMNS = list(AuditRecordOut.model_fields)


def _filtered(actor: Actor, filters: AuditFilters) -> QuerySet[AuditRecord]:
    qs = audit_visible_to(actor)
    exact = {
        name: getattr(filters, name)
        for name in ("client_id", "actor_id", "action", "category", "object_type", "object_id")
        if getattr(filters, name) is not None
    }
    qs = qs.filter(**exact)
    if filters.since is not None:
        qs = qs.filter(at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(at__lt=filters.until)
    return qs


@endpoint(router, "GET", "/audit", "List audit records", tag="audit", ok={200: AuditPage}, errors=(403,))  # fmt: skip
def list_audit(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    """Who changed what, when, from where: newest first. Needs audit.view (MSP owner, admin,
    auditor); client users never see the audit log."""
    actor = actor_from(request)
    require_to_read(actor, Perm.AUDIT_VIEW, "the audit log")
    return page(request, _filtered(actor, query), query)


@endpoint(router, "GET", "/audit/verify", "Verify the audit chain", tag="audit", ok={200: AuditVerifyOut}, errors=(403,))  # fmt: skip
def verify_audit(request: HttpRequest) -> dict[str, Any]:
    """Walks the whole hash chain and reports the first record that was altered, removed or
    inserted. Needs audit.view."""
    require_to_read(actor_from(request), Perm.AUDIT_VIEW, "the audit log")
    check_query_params(request)
    result = audit.verify()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "broken_seq": result.broken_seq,
        "reason": result.reason,
    }


_EXPORT_DOC = {
    "responses": {
        200: {
            "description": "The filtered records in chain order, streamed.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/AuditRecordOut"},
                    }
                },
            },
        }
    }
}


@endpoint(router, "GET", "/audit/export", "Export audit records", tag="audit", ok={200: None}, errors=(403,), openapi_extra=_EXPORT_DOC)  # fmt: skip
def export_audit(request: HttpRequest, query: Query[AuditExportQuery]) -> StreamingHttpResponse:
    """The records matching the same filters as the list, oldest first, as CSV or a JSON array
    (hashes included, so the export can be checked offline). Needs audit.export; the export
    itself is audited (action `audit.exported`, category `export`). In CSV, cells that a
    spreadsheet would run as a formula are prefixed with an apostrophe."""
    actor = actor_from(request)
    require_to_read(actor, Perm.AUDIT_EXPORT, "audit exports")
    check_query_params(request, AuditExportQuery)
    records = _filtered(actor, query)
    exported = record_audit_export(
        actor=actor,
        fmt=query.format,
        count=records.count(),
        filters=query.model_dump(mode="json", exclude_none=True),
        client_id=query.client_id,
    )
    records = records.filter(seq__lt=exported.seq)  # what there was when the export began
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if query.format == "json":
        response = StreamingHttpResponse(_json_lines(records), content_type="application/json")
    else:
        response = StreamingHttpResponse(
            _csv_lines(records), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="openmsp-audit-{stamp}.{query.format}"'
    return response


@transaction.atomic
def _rows(records: QuerySet[AuditRecord]) -> Iterator[dict[str, Any]]:
    """Chain order, in keyset batches: constant memory however large the export."""
    last = -1
    while True:
        batch = list(records.filter(seq__gt=last).order_by("seq")[:EXPORT_BATCH])
        for record in batch:
            yield AuditRecordOut.from_orm(record).model_dump(mode="json")
        if len(batch) < EXPORT_BATCH:
            return
        last = batch[-1].seq


def _json_lines(records: QuerySet[AuditRecord]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(_rows(records)):
        yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_lines(records: QuerySet[AuditRecord]) -> Iterator[str]:
    yield "\ufeff"  # a byte-order mark: spreadsheets then read UTF-8 (Korean names) correctly
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in _rows(records):
        writer.writerow([_cell(row[column]) for column in EXPORT_COLUMNS])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
