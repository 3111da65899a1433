"""The audit log viewer at /audit/: filter, read a record's before/after, export, verify the chain.

Only roles with Perm.AUDIT_VIEW see it (others get 404: the page does not exist for them).
Exports are themselves audited ("audit.exported", category export), as PIPA expects of access to
personal-data records.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import record_audit_export
from openmsp.core.models import AuditRecord
from openmsp.core.queries import audit_visible_to
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import page, require_perm

PAGE_SIZE = 50
CATEGORIES = (
    (audit.CATEGORY_CHANGE, _("Change")),
    (audit.CATEGORY_ACCESS, _("Access")),
    (audit.CATEGORY_PERMISSION, _("Permission change")),
    (audit.CATEGORY_EXPORT, _("Export")),
)
EXPORT_COLUMNS = (
    "seq", "at", "actor_id", "actor_label", "client_id", "action", "category", "object_type",
    "object_id", "object_repr", "before", "after", "ip", "request_id", "prev_hash", "hash",
)  # fmt: skip


class AuditFilterForm(forms.Form):
    client = forms.TypedChoiceField(label=_("Client"), required=False, coerce=int, empty_value=None)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=300)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=80,
        help_text=_("Starts with, e.g. client. or contract.updated"),
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *CATEGORIES]
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, clients: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["client"]
        field.choices = [("", _("All clients")), *((c.pk, c.name) for c in clients)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def apply(self, records: QuerySet[AuditRecord]) -> QuerySet[AuditRecord]:
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("client"):
            records = records.filter(client_id=data["client"])
        if data.get("actor"):
            records = records.filter(actor_label__icontains=data["actor"].strip())
        if data.get("action"):
            records = records.filter(action__startswith=data["action"].strip())
        if data.get("category"):
            records = records.filter(category=data["category"])
        zone = timezone.get_current_timezone()
        if data.get("since"):
            records = records.filter(at__gte=dt.datetime.combine(data["since"], dt.time(), zone))
        if data.get("until"):
            end = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time(), zone)
            records = records.filter(at__lt=end)
        return records

    def used(self) -> dict[str, str]:
        """The filters in force, as plain text for the export's own audit record."""
        if not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in (None, "")}


def _records(request: HttpRequest) -> QuerySet[AuditRecord]:
    """Records the viewer may read; the page does not exist for roles without AUDIT_VIEW."""
    if not request.user.has_perm_to(Perm.AUDIT_VIEW):  # type: ignore[union-attr]
        raise Http404
    return audit_visible_to(actor_of(request)).order_by("-seq")


def _filter_form(request: HttpRequest, data: Any) -> AuditFilterForm:
    clients = clients_visible_to(actor_of(request)).only("pk", "name").order_by("name")
    return AuditFilterForm(data, clients=clients)


@require_GET
@page
def audit_list(request: HttpRequest) -> HttpResponse:
    records = _records(request)
    form = _filter_form(request, request.GET or None)
    page_obj = Paginator(form.apply(records), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "filters": request.GET.urlencode(),
            "categories": dict(CATEGORIES),
        },
    )


def _diff(before: Any, after: Any) -> list[dict[str, Any]]:
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    rows = []
    for key in sorted(set(before) | set(after)):
        rows.append(
            {
                "field": key,
                "before": before.get(key),
                "after": after.get(key),
                "in_before": key in before,
                "in_after": key in after,
                "changed": before.get(key) != after.get(key) or (key in before) != (key in after),
            }
        )
    return rows


@require_GET
@page
def audit_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        record = _records(request).get(pk=record_id)
    except AuditRecord.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "core/audit_detail.html",
        {
            "record": record,
            "diff": _diff(record.before, record.after),
            "categories": dict(CATEGORIES),
        },
    )


@require_GET
@page
def audit_verify(request: HttpRequest) -> HttpResponse:
    _records(request)  # the 404 for roles that may not read the log
    return render(request, "core/includes/verify_result.html", {"result": audit.verify()})


def _cell(value: Any) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    # A cell starting with = + - @ would run as a formula when the CSV is opened in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(record: AuditRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in EXPORT_COLUMNS}
    row["at"] = record.at.astimezone(dt.UTC).isoformat()
    return row


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(records: QuerySet[AuditRecord]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel reads UTF-8 (Korean names) only with a byte-order mark
    yield writer.writerow(EXPORT_COLUMNS)
    for record in records.iterator(chunk_size=2000):
        row = _row(record)
        yield writer.writerow(["" if row[c] is None else _cell(row[c]) for c in EXPORT_COLUMNS])


def _json_chunks(records: QuerySet[AuditRecord]) -> Iterator[str]:
    yield "["
    for index, record in enumerate(records.iterator(chunk_size=2000)):
        yield ("," if index else "") + json.dumps(_row(record), ensure_ascii=False)
    yield "]\n"


@require_POST
@page
def audit_export(request: HttpRequest) -> HttpResponseBase:
    records = _records(request)
    require_perm(request, Perm.AUDIT_EXPORT)
    form = _filter_form(request, request.POST)
    fmt = request.POST.get("format")
    if fmt not in ("csv", "json"):
        return HttpResponse(_("Choose CSV or JSON."), status=400, content_type="text/plain")
    selected = form.apply(records).order_by("seq")
    exported = record_audit_export(
        actor=actor_of(request),
        fmt=fmt,
        count=selected.count(),
        filters=form.used(),
        client_id=form.cleaned_data.get("client") if form.is_valid() else None,
    )
    selected = selected.filter(seq__lt=exported.seq)  # what was there when the export began
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_lines(selected), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(_json_chunks(selected), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="openmsp-audit-{stamp}.{fmt}"'
    return response
