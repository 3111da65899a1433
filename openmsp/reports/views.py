"""Report pages: the archive (per client; a client user sees only their own), one report with
its charts, its PDF, and the staff's "generate" button. Thin: reads through queries, writes
through actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.reports import actions, qbr, queries
from openmsp.reports import qbr_pdf as qbr_pdf_doc
from openmsp.reports import qbr_text as qtext
from openmsp.reports import summary as sm
from openmsp.reports.models import Qbr, Report
from openmsp.tenants.queries import clients_visible_to, get_visible
from openmsp.web.actor import actor_of
from openmsp.web.pages import page, require_perm

PAGE_LIMIT = 200


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    clients = list(clients_visible_to(actor).only("pk", "name").order_by("name"))
    client_id = _int(request.GET.get("client") or request.POST.get("client"))
    client = next((c for c in clients if c.pk == client_id), None)
    qs = queries.reports_visible_to(actor).order_by("-period_start", "client__name", "pk")
    if client is not None:
        qs = qs.filter(client=client)
    context = {
        "reports": list(qs[:PAGE_LIMIT]),
        "clients": clients if user.is_msp_staff else [],
        "client": client,
        "current_client": client,
        "show_client": user.is_msp_staff and client is None,
        "can_generate": user.is_msp_staff and user.has_perm_to("work"),
        "month": request.POST.get("month") or timezone.localdate().strftime("%Y-%m"),
        "error": error,
    }
    return render(request, "reports/report_list.html", context, status=status)


@require_GET
@page
def report_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@require_POST
@page
def report_generate(request: HttpRequest) -> HttpResponse:
    require_perm(request, "work")
    actor = actor_of(request)
    client = get_visible(
        actor, clients_visible_to(actor), field="pk", pk=request.POST.get("client") or 0
    )
    try:
        month = actions.parse_month(request.POST.get("month"), today=timezone.localdate())
        report = actions.generate(actor=actor, client=client, month=month)
    except ValidationFailed as exc:
        return _list(request, error=exc.message, status=422)
    return redirect("report_detail", report_id=report.pk)


@require_GET
@page
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = queries.get_report(actor_of(request), report_id)
    f = report.figures
    charts = {
        "trend": {
            "labels": [d["day"] for d in f["availability"]["trend"]],
            "values": [d["availability"] for d in f["availability"]["trend"]],
            "target": f["availability"]["target"],
        },
        "volume": {
            "labels": [w["from"] for w in f["tickets"]["weekly_volume"]],
            "opened": [w["opened"] for w in f["tickets"]["weekly_volume"]],
            "resolved": [w["resolved"] for w in f["tickets"]["weekly_volume"]],
        },
        "sla": {
            "labels": [_(n.replace("_", " ").capitalize()) for n in f["tickets"]["sla"]],
            "values": [c["attainment"] for c in f["tickets"]["sla"].values()],
        },
    }
    context = {
        "report": report,
        "f": f,
        "title": sm.title(report.language),
        "charts": charts,
        "sla_rows": list(f["tickets"]["sla"].items()),
        "current_client": report.client,
    }
    return render(request, "reports/report_detail.html", context)


@require_GET
@page
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report: Report = queries.get_report(actor_of(request), report_id)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    name = f"report-{report.client.code or report.client_id}-{report.month}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Quarterly business reviews ------------------------------------------------------------------


def _qbr_list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    clients = list(clients_visible_to(actor).only("pk", "name").order_by("name"))
    client_id = _int(request.GET.get("client") or request.POST.get("client"))
    client = next((c for c in clients if c.pk == client_id), None)
    qs = queries.qbrs_visible_to(actor).order_by("-quarter_start", "client__name", "pk")
    if client is not None:
        qs = qs.filter(client=client)
    runs = queries.qbr_runs_visible_to(actor).order_by("-quarter", "client__name", "pk")
    if client is not None:
        runs = runs.filter(client=client)
    context = {
        "reviews": list(qs.defer("figures")[:PAGE_LIMIT]),
        "runs": list(runs[:PAGE_LIMIT]),
        "clients": clients if user.is_msp_staff else [],
        "client": client,
        "current_client": client,
        "show_client": user.is_msp_staff and client is None,
        "can_generate": user.is_msp_staff and user.has_perm_to("work"),
        "quarter": request.POST.get("quarter") or qbr.label(qbr.quarter_of(timezone.localdate())),
        "error": error,
    }
    return render(request, "reports/qbr_list.html", context, status=status)


@require_GET
@page
def qbr_list(request: HttpRequest) -> HttpResponse:
    return _qbr_list(request)


@require_POST
@page
def qbr_generate(request: HttpRequest) -> HttpResponse:
    require_perm(request, "work")
    actor = actor_of(request)
    client = get_visible(
        actor, clients_visible_to(actor), field="pk", pk=request.POST.get("client") or 0
    )
    try:
        quarter = qbr.parse_quarter(request.POST.get("quarter"), today=timezone.localdate())
        review = actions.generate_qbr(actor=actor, client=client, quarter=quarter)
    except ValidationFailed as exc:
        return _qbr_list(request, error=exc.message, status=422)
    return redirect("qbr_detail", qbr_id=review.pk)


def _qbr_charts(f: dict[str, Any]) -> dict[str, Any]:
    months = f["trends"]["months"]
    return {
        "labels": [m["month"] for m in months],
        "availability": [m["availability"] for m in months],
        "target": f["trends"]["target"],
        "opened": [m["opened"] for m in months],
        "resolved": [m["resolved"] for m in months],
        "sla": {
            str(_(name.replace("_", " ").capitalize())): [m["sla"].get(name) for m in months]
            for name in ("first_response", "next_response", "resolution")
        },
        "csat": [m["csat"]["percent"] if m["csat"] else None for m in months],
    }


_MEETING_FIELDS = (
    "held_on", "attendees", "decisions", "notes", "action_title", "action_owner", "action_due_on",
)  # fmt: skip
_ERROR_SECTIONS = {"agenda": "agenda", "root_cause": "root_cause", "fingerprint": "root_cause"}


def _qbr_page(
    request: HttpRequest, review: Qbr, *, error: ValidationFailed | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    f = review.figures
    causes = actions.root_causes(review)
    recurring = [{**r, "root_cause": causes.get(r["fingerprint"], "")} for r in f["recurring"]]
    context = {
        "review": review,
        "f": f,
        "title": qtext.title(review.language),
        "charts": _qbr_charts(f),
        "recurring": recurring,
        "cost": f["cost"],
        "fee": qbr.money(f["cost"]["fee"], f["cost"]["currency"]),
        "billable_hours": qbr.hours(f["cost"]["billable_minutes"]),
        "non_billable_hours": qbr.hours(f["cost"]["non_billable_minutes"]),
        "meetings": list(queries.meetings_of(actor, review)),
        "can_edit": user.is_msp_staff and user.has_perm_to("work"),
        # Which form the error belongs to: the meeting form names its many fields itself.
        "error_at": "" if error is None else _ERROR_SECTIONS.get(error.field or "", "meeting"),
        "error": "" if error is None else error.message,
        "form": {k: (request.POST.get(k, "") if error else "") for k in _MEETING_FIELDS},
        "today": timezone.localdate().isoformat(),
        "current_client": review.client,
    }
    return render(request, "reports/qbr_detail.html", context, status=status)


@require_GET
@page
def qbr_detail(request: HttpRequest, qbr_id: int) -> HttpResponse:
    return _qbr_page(request, queries.get_qbr(actor_of(request), qbr_id))


@require_GET
@page
def qbr_pdf(request: HttpRequest, qbr_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = queries.get_qbr(actor, qbr_id)
    meetings = list(queries.meetings_of(actor, review))
    document = qbr_pdf_doc.render(review, actions.root_causes(review), meetings)
    response = HttpResponse(document, content_type="application/pdf")
    name = f"qbr-{review.client.code or review.client_id}-{review.quarter}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _edit(request: HttpRequest, review: Qbr, change: Any) -> HttpResponse:
    """Run one staff change of the review; a bad field re-renders the page with it marked."""
    try:
        change()
    except ValidationFailed as exc:
        return _qbr_page(request, review, error=exc, status=422)
    return redirect("qbr_detail", qbr_id=review.pk)


@require_POST
@page
def qbr_agenda(request: HttpRequest, qbr_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = queries.get_qbr(actor, qbr_id)
    require_perm(request, "work")
    agenda = request.POST.get("agenda", "")
    return _edit(request, review, lambda: actions.update_agenda(actor=actor, review=review, agenda=agenda))  # fmt: skip


@require_POST
@page
def qbr_root_cause(request: HttpRequest, qbr_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = queries.get_qbr(actor, qbr_id)
    require_perm(request, "work")
    fingerprint, text = request.POST.get("fingerprint", ""), request.POST.get("root_cause", "")
    return _edit(
        request, review,
        lambda: actions.set_root_cause(actor=actor, review=review, fingerprint=fingerprint, text=text),
    )  # fmt: skip


def _date(value: str | None, field: str, *, required: bool) -> dt.date | None:
    text = (value or "").strip()
    if not text and not required:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"'{text}' is not a date: write it as YYYY-MM-DD.", field=field
        ) from None


@require_POST
@page
def qbr_meeting(request: HttpRequest, qbr_id: int) -> HttpResponse:
    actor = actor_of(request)
    review = queries.get_qbr(actor, qbr_id)
    require_perm(request, "work")
    p = request.POST

    def record() -> None:
        held_on = _date(p.get("held_on"), "held_on", required=True)
        assert held_on is not None
        items = []
        if p.get("action_title", "").strip() or p.get("action_owner", "").strip():
            items.append({
                "title": p.get("action_title", ""), "owner": p.get("action_owner", ""),
                "due_on": _date(p.get("action_due_on"), "action_due_on", required=False),
            })  # fmt: skip
        actions.record_meeting(
            actor=actor, review=review, held_on=held_on,
            attendees=p.get("attendees", "").splitlines(), decisions=p.get("decisions", ""),
            notes=p.get("notes", ""), action_items=items,
        )  # fmt: skip

    return _edit(request, review, record)


@require_POST
@page
def meeting_action_item(request: HttpRequest, meeting_id: int) -> HttpResponse:
    actor = actor_of(request)
    meeting = queries.get_meeting(actor, meeting_id)
    require_perm(request, "work")
    p = request.POST

    def add() -> None:
        actions.add_action_item(
            actor=actor, meeting=meeting, title=p.get("title", ""), owner=p.get("owner", ""),
            due_on=_date(p.get("due_on"), "due_on", required=False),
        )  # fmt: skip

    return _edit(request, meeting.qbr, add)


@require_POST
@page
def action_item_done(request: HttpRequest, action_item_id: int) -> HttpResponse:
    actor = actor_of(request)
    item = queries.get_action_item(actor, action_item_id)
    require_perm(request, "work")
    done = request.POST.get("done") == "1"
    actions.update_action_item(actor=actor, item=item, changes={"done": done})
    return redirect("qbr_detail", qbr_id=item.meeting.qbr_id)


@require_GET
@page
def qbr_run_pdf(request: HttpRequest, qbr_run_id: int) -> HttpResponse:
    """The archived PDF: exactly what the scheduled e-mail carried (404 until one was sent)."""
    run = queries.get_qbr_run(actor_of(request), qbr_run_id, with_pdf=True)
    if not run.pdf:
        raise Http404(_("This review has not been e-mailed yet."))
    response = HttpResponse(bytes(run.pdf), content_type="application/pdf")
    name = f"qbr-{run.client.code or run.client_id}-{run.label}-sent.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@page
def qbr_run_resend(request: HttpRequest, qbr_run_id: int) -> HttpResponse:
    actor = actor_of(request)
    run = queries.get_qbr_run(actor, qbr_run_id)
    require_perm(request, "work")
    try:
        actions.resend_qbr(actor=actor, run=run)
    except Conflict as exc:
        messages.error(request, _(exc.message))
    else:
        messages.success(
            request,
            _("The review of %(quarter)s is queued to be sent again.") % {"quarter": run.label},
        )
    return redirect(f"{reverse('qbr_list')}?client={run.client_id}")
