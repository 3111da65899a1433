"""REST endpoints for reports: the archive, one report's figures, generating a month.

Reading needs only to see the client; generating is MSP staff's (Perm.WORK). Another client's
report is a 404. The PDF is served by the UI at /reports/<id>/pdf/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.core.apiutils import changes_of, endpoint, fetch_ref, page, path_object
from openmsp.reports import actions, qbr
from openmsp.reports.models import ActionItem, Meeting, Qbr, QbrRun, Report
from openmsp.reports.queries import (
    get_action_item,
    get_meeting,
    get_qbr,
    get_qbr_run,
    get_report,
    meetings_of,
    qbr_runs_visible_to,
    qbrs_visible_to,
    reports_visible_to,
)
from openmsp.reports.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    MeetingIn,
    MeetingOut,
    QbrDetailOut,
    QbrIn,
    QbrPage,
    QbrPatch,
    QbrQuery,
    QbrRunOut,
    QbrRunPage,
    QbrRunQuery,
    ReportDetailOut,
    ReportIn,
    ReportPage,
    ReportQuery,
    RootCauseIn,
)
from openmsp.tenants.queries import clients_visible_to

router = Router()
TAG = "reports"

path_object("report_id", get_report)


@endpoint(router, "GET", "/reports", "List reports", tag=TAG, ok={200: ReportPage})
def list_reports(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    """Reports of the clients you may see, newest month first."""
    qs = reports_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs, query)


@endpoint(router, "POST", "/reports", "Generate a monthly report", tag=TAG, ok={201: ReportDetailOut}, errors=(403,))  # fmt: skip
def create_report(request: HttpRequest, payload: ReportIn) -> Status[Report]:
    """Computes the month's figures and PDF; generating a month again replaces its report (the
    figures of a past month come out the same)."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    month = actions.parse_month(payload.month, today=timezone.localdate())
    report = actions.generate(actor=actor, client=client, month=month)
    return Status(201, get_report(actor, report.pk))


@endpoint(router, "GET", "/reports/{report_id}", "Get a report", tag=TAG, ok={200: ReportDetailOut}, errors=(404,))  # fmt: skip
def get_one_report(request: HttpRequest, report_id: int) -> Report:
    return get_report(actor_from(request), report_id)


# --- Quarterly business reviews ------------------------------------------------------------------

path_object("qbr_id", get_qbr)
path_object("meeting_id", get_meeting)
path_object("action_item_id", get_action_item)


@endpoint(router, "GET", "/qbrs", "List quarterly reviews", tag=TAG, ok={200: QbrPage})
def list_qbrs(request: HttpRequest, query: Query[QbrQuery]) -> dict[str, Any]:
    """Quarterly business reviews of the clients you may see, newest quarter first."""
    qs = qbrs_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs, query)


@endpoint(router, "POST", "/qbrs", "Generate a quarterly review", tag=TAG, ok={201: QbrDetailOut}, errors=(403,))  # fmt: skip
def create_qbr(request: HttpRequest, payload: QbrIn) -> Status[Qbr]:
    """Computes the quarter's figures (from the three months' report figures) and its agenda;
    generating a quarter again replaces the figures and keeps an edited agenda and the meetings."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    quarter = qbr.parse_quarter(payload.quarter, today=timezone.localdate())
    review = actions.generate_qbr(actor=actor, client=client, quarter=quarter)
    return Status(201, get_qbr(actor, review.pk))


@endpoint(router, "GET", "/qbrs/{qbr_id}", "Get a quarterly review", tag=TAG, ok={200: QbrDetailOut}, errors=(404,))  # fmt: skip
def get_one_qbr(request: HttpRequest, qbr_id: int) -> Qbr:
    return get_qbr(actor_from(request), qbr_id)


@endpoint(router, "PATCH", "/qbrs/{qbr_id}", "Edit a review's agenda", tag=TAG, ok={200: QbrDetailOut}, errors=(403, 404))  # fmt: skip
def edit_qbr(request: HttpRequest, qbr_id: int, payload: QbrPatch) -> Qbr:
    """The agenda, one item per line; once edited, regenerating the figures keeps it."""
    actor = actor_from(request)
    review = get_qbr(actor, qbr_id)
    return actions.update_agenda(actor=actor, review=review, agenda=payload.agenda)


@endpoint(router, "PUT", "/qbrs/{qbr_id}/root-causes", "Set a recurring problem's root cause", tag=TAG, ok={200: QbrDetailOut}, errors=(403, 404))  # fmt: skip
def put_root_cause(request: HttpRequest, qbr_id: int, payload: RootCauseIn) -> Qbr:
    """What a technician found behind one of the review's recurring problems (by fingerprint);
    kept with the client, so the next quarter's review shows it too."""
    actor = actor_from(request)
    review = get_qbr(actor, qbr_id)
    actions.set_root_cause(
        actor=actor, review=review, fingerprint=payload.fingerprint, text=payload.root_cause
    )
    return get_qbr(actor, qbr_id)


@endpoint(router, "GET", "/qbrs/{qbr_id}/meetings", "List a review's meetings", tag=TAG, ok={200: list[MeetingOut]}, errors=(404,))  # fmt: skip
def list_meetings(request: HttpRequest, qbr_id: int) -> list[Meeting]:
    actor = actor_from(request)
    return list(meetings_of(actor, get_qbr(actor, qbr_id)))


@endpoint(router, "POST", "/qbrs/{qbr_id}/meetings", "Record a review meeting", tag=TAG, ok={201: MeetingOut}, errors=(403, 404))  # fmt: skip
def create_meeting(request: HttpRequest, qbr_id: int, payload: MeetingIn) -> Status[Meeting]:
    """Date, attendees, decisions and action items (owner, due date) of the meeting."""
    actor = actor_from(request)
    review = get_qbr(actor, qbr_id)
    meeting = actions.record_meeting(
        actor=actor, review=review, held_on=payload.held_on, attendees=payload.attendees,
        decisions=payload.decisions, notes=payload.notes,
        action_items=[a.model_dump() for a in payload.action_items],
    )  # fmt: skip
    return Status(201, get_meeting(actor, meeting.pk))


@endpoint(router, "GET", "/meetings/{meeting_id}", "Get a review meeting", tag=TAG, ok={200: MeetingOut}, errors=(404,))  # fmt: skip
def get_one_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    return get_meeting(actor_from(request), meeting_id)


@endpoint(router, "POST", "/meetings/{meeting_id}/action-items", "Add an action item", tag=TAG, ok={201: ActionItemOut}, errors=(403, 404))  # fmt: skip
def create_action_item(
    request: HttpRequest, meeting_id: int, payload: ActionItemIn
) -> Status[ActionItem]:
    actor = actor_from(request)
    meeting = get_meeting(actor, meeting_id)
    item = actions.add_action_item(actor=actor, meeting=meeting, **payload.model_dump())
    return Status(201, item)


@endpoint(router, "PATCH", "/action-items/{action_item_id}", "Edit an action item", tag=TAG, ok={200: ActionItemOut}, errors=(403, 404))  # fmt: skip
def edit_action_item(
    request: HttpRequest, action_item_id: int, payload: ActionItemPatch
) -> ActionItem:
    """Title, owner, due date, or done (done records when)."""
    actor = actor_from(request)
    item = get_action_item(actor, action_item_id)
    return actions.update_action_item(actor=actor, item=item, changes=changes_of(payload))


# --- Scheduled reviews (openmsp.reports.qbr_jobs, docs/qbr.md) ----------------------------------

path_object("qbr_run_id", get_qbr_run)


@endpoint(router, "GET", "/qbr-runs", "List scheduled quarterly reviews", tag=TAG, ok={200: QbrRunPage})  # fmt: skip
def list_qbr_runs(request: HttpRequest, query: Query[QbrRunQuery]) -> dict[str, Any]:
    """The reviews the communication plans e-mail, with their state (failed: with the reason)."""
    qs = qbr_runs_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    if query.state is not None:
        qs = qs.filter(state=query.state)
    return page(request, qs, query)


@endpoint(router, "GET", "/qbr-runs/{qbr_run_id}", "Get a scheduled quarterly review", tag=TAG, ok={200: QbrRunOut}, errors=(404,))  # fmt: skip
def get_one_qbr_run(request: HttpRequest, qbr_run_id: int) -> QbrRun:
    return get_qbr_run(actor_from(request), qbr_run_id)


@endpoint(router, "POST", "/qbr-runs/{qbr_run_id}/resend", "Send a scheduled review again", tag=TAG, ok={200: QbrRunOut}, errors=(403, 404, 409))  # fmt: skip
def resend_qbr_run(request: HttpRequest, qbr_run_id: int) -> QbrRun:
    """Queues the run again with fresh attempts; a worker mails the review as it stands now. A
    run already queued or running is a 409."""
    actor = actor_from(request)
    return actions.resend_qbr(actor=actor, run=get_qbr_run(actor, qbr_run_id))
