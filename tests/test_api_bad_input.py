"""Bad input of every kind answers 4xx with a JSON `detail` that names the problem, never a 500.

Each case is (method, path, body, expected status, the field named or words in the detail). Paths
use {client}, {calendar}, {contract} for objects of client A and {user} for the MSP owner, who
sends every request.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.tenants import actions
from openmsp.tenants.models import BusinessCalendar, Client

SYSTEM = Actor.system("test")
JSON = "application/json"
HUGE = 10**30
MONDAY = [{"weekday": 0, "start": "09:00", "end": "18:00"}]


@pytest.fixture
def ids(client_a: Client, msp_owner: User) -> dict[str, int]:
    calendar = BusinessCalendar.objects.get(client=client_a)
    contract = actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA", start_date=dt.date(2026, 1, 1), calendar=calendar
    )
    from openmsp.servicedesk import actions as desk_actions

    ticket = desk_actions.open_ticket(actor=SYSTEM, client=client_a, subject="VPN down")
    from openmsp.servicedesk import mail_actions

    mailbox = mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Hanbit desk", address="desk@msp.example",
        intake="listener",
    )  # fmt: skip
    return {
        "mailbox": mailbox.pk,
        "ticket": ticket.pk,
        "client": client_a.pk,
        "calendar": calendar.pk,
        "contract": contract.pk,
        "user": msp_owner.pk,
    }


@pytest.fixture
def owner_http(msp_owner: User, api_as: Any) -> HttpClient:
    http: HttpClient = api_as(msp_owner)
    return http


def send(http: HttpClient, method: str, path: str, body: Any, ids: dict[str, int]) -> Any:
    url = path.format(**ids)
    if body is None:
        return http.generic(method, url)
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return http.generic(method, url, data, content_type=JSON)


def assert_names(response: Any, status: int, named: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if named:
        assert body.get("field") == named or named in body["detail"], body


CASES: list[tuple[str, str, Any, int, str]] = [
    # Bodies that are not the JSON object the operation expects.
    ("POST", "/api/v1/clients", b"{not json", 400, "not valid JSON"),
    ("POST", "/api/v1/clients", b"\xff\xfe\x00", 400, "not valid JSON"),
    ("POST", "/api/v1/clients", b"[" * 50_000 + b"]" * 50_000, 400, "not valid JSON"),
    ("POST", "/api/v1/clients", [1, 2], 422, "body"),
    ("POST", "/api/v1/clients", b'"just a string"', 422, "body"),
    ("POST", "/api/v1/clients", None, 422, "body"),
    ("PATCH", "/api/v1/clients/{client}", b"null", 422, "body"),
    # Wrong types.
    ("POST", "/api/v1/clients", {"name": 123, "code": "x"}, 422, "name"),
    ("POST", "/api/v1/clients", {"name": ["x"], "code": "x"}, 422, "name"),
    ("PATCH", "/api/v1/contracts/{contract}", {"notice_days": "thirty"}, 422, "notice_days"),
    ("PATCH", "/api/v1/contracts/{contract}", {"rate": "lots"}, 422, "rate"),
    ("PATCH", "/api/v1/contracts/{contract}", {"rate": "NaN"}, 422, "rate"),
    ("PATCH", "/api/v1/contracts/{contract}", {"dpa_signed": "maybe"}, 422, "dpa_signed"),
    ("POST", "/api/v1/tokens", {"name": "x", "read_only": "sometimes"}, 422, "read_only"),
    ("PATCH", "/api/v1/users/{user}", {"assigned_client_ids": "1,2"}, 422, "assigned_client_ids"),
    # Unknown fields (typos) are refused, never silently dropped.
    ("POST", "/api/v1/clients", {"name": "X", "code": "x", "stauts": "active"}, 422, "stauts"),
    ("PATCH", "/api/v1/clients/{client}", {"nmae": "X"}, 422, "nmae"),
    ("POST", "/api/v1/clients/{client}/sites", {"name": "X", "adress": "1"}, 422, "adress"),
    ("POST", "/api/v1/clients/{client}/contacts", {"name": "X", "mail": "a@b.c"}, 422, "mail"),
    (
        "PATCH",
        "/api/v1/contracts/{contract}",
        {
            "sla_targets": [
                {
                    "priority": "P1",
                    "first_response_minutes": 1,
                    "resolution_minutes": 2,
                    "colour": "red",
                }
            ]
        },
        422,
        "sla_targets.0.colour",
    ),
    (
        "PATCH",
        "/api/v1/calendars/{calendar}",
        {"intervals": [{"day": 0, "start": "09:00", "end": "10:00"}]},
        422,
        "intervals.0.weekday",
    ),
    (
        "POST",
        "/api/v1/users",
        {"email": "x@msp.example", "role": "auditor", "is_superuser": True},
        422,
        "is_superuser",
    ),
    ("POST", "/api/v1/tokens", {"name": "x", "scopes": ["all"]}, 422, "scopes"),
    # Missing required fields.
    ("POST", "/api/v1/clients", {"name": "X"}, 422, "code"),
    ("POST", "/api/v1/clients/{client}/contracts", {"name": "X"}, 422, "start_date"),
    ("POST", "/api/v1/calendars/{calendar}/special-days", {"name": "X"}, 422, "date"),
    ("POST", "/api/v1/users", {"email": "x@msp.example"}, 422, "role"),
    # Lengths and ranges from the models.
    ("POST", "/api/v1/clients", {"name": "x" * 201, "code": "x"}, 422, "name"),
    ("POST", "/api/v1/clients", {"name": "X", "code": "has space"}, 422, "code"),
    ("POST", "/api/v1/clients", {"name": "   ", "code": "x"}, 422, "name"),
    ("PATCH", "/api/v1/contracts/{contract}", {"notice_days": -1}, 422, "notice_days"),
    ("PATCH", "/api/v1/contracts/{contract}", {"notice_days": HUGE}, 422, "notice_days"),
    (
        "PATCH",
        "/api/v1/contracts/{contract}",
        {"availability_target": "99.9999"},
        422,
        "availability_target",
    ),
    ("PATCH", "/api/v1/contracts/{contract}", {"calendar_id": HUGE}, 422, "calendar_id"),
    (
        "POST",
        "/api/v1/calendars",
        {"name": "X", "client_id": -4, "intervals": MONDAY},
        422,
        "client_id",
    ),
    (
        "PATCH",
        "/api/v1/contracts/{contract}",
        {
            "sla_targets": [
                {"priority": "P1", "first_response_minutes": -5, "resolution_minutes": 10}
            ]
        },
        422,
        "sla_targets.0.first_response_minutes",
    ),
    # Text no database can store.
    ("POST", "/api/v1/clients", {"name": "nul\u0000byte", "code": "x"}, 422, "name"),
    (
        "PATCH",
        "/api/v1/contracts/{contract}",
        {"report_recipients": ["a\u0000@b.c"]},
        422,
        "report_recipients",
    ),
    # Invalid time zones, named.
    ("PATCH", "/api/v1/clients/{client}", {"time_zone": "Asia/Gangnam"}, 422, "time_zone"),
    (
        "POST",
        "/api/v1/clients/{client}/sites",
        {"name": "X", "time_zone": "../../etc/passwd"},
        422,
        "time_zone",
    ),
    ("PATCH", "/api/v1/calendars/{calendar}", {"time_zone": "Mars/Olympus"}, 422, "time_zone"),
    ("PATCH", "/api/v1/users/{user}", {"time_zone": "nowhere"}, 422, "time_zone"),
    # Calendar intervals.
    (
        "PATCH",
        "/api/v1/calendars/{calendar}",
        {"intervals": [*MONDAY, {"weekday": 0, "start": "17:00", "end": "19:00"}]},
        422,
        "overlaps",
    ),
    (
        "PATCH",
        "/api/v1/calendars/{calendar}",
        {"intervals": [{"weekday": 0, "start": "25:00", "end": "26:00"}]},
        422,
        "intervals.0.start",
    ),
    (
        "PATCH",
        "/api/v1/calendars/{calendar}",
        {"intervals": [{"weekday": 0, "start": "09:00", "end": "08:00"}]},
        422,
        "intervals",
    ),
    (
        "PATCH",
        "/api/v1/calendars/{calendar}",
        {"intervals": [{"weekday": -1, "start": "09:00", "end": "10:00"}]},
        422,
        "intervals.0.weekday",
    ),
    # Bad dates and instants.
    ("PATCH", "/api/v1/contracts/{contract}", {"start_date": "2026-13-01"}, 422, "start_date"),
    ("PATCH", "/api/v1/contracts/{contract}", {"start_date": "yesterday"}, 422, "start_date"),
    ("PATCH", "/api/v1/contracts/{contract}", {"end_date": "2025-12-31"}, 422, "end_date"),
    (
        "POST",
        "/api/v1/calendars/{calendar}/special-days",
        {"date": "2026-02-29", "name": "X"},
        422,
        "date",
    ),
    ("GET", "/api/v1/audit?since=last+week", None, 422, "since"),
    ("GET", "/api/v1/audit?until=2026-01-01T00:00:00", None, 422, "until"),
    ("GET", "/api/v1/calendars/{calendar}/preview?start=2026-03-02", None, 422, "start"),
    (
        "GET",
        "/api/v1/calendars/{calendar}/preview?start=0001-01-01T00:00:00%2B14:00",
        None,
        422,
        "start",
    ),
    (
        "GET",
        "/api/v1/calendars/{calendar}/working-minutes?start=2026-03-02T00:00:00Z&end=soon",
        None,
        422,
        "end",
    ),
    # Negative or oversized numbers.
    (
        "GET",
        "/api/v1/calendars/{calendar}/add-minutes?start=2026-03-02T09:00:00Z&minutes=-1",
        None,
        422,
        "minutes",
    ),
    (
        "GET",
        "/api/v1/calendars/{calendar}/add-minutes?start=2026-03-02T09:00:00Z&minutes=99999999999",
        None,
        422,
        "minutes",
    ),
    ("GET", "/api/v1/clients?limit=-1", None, 422, "limit"),
    ("GET", "/api/v1/clients?offset=-1", None, 422, "offset"),
    ("GET", f"/api/v1/clients?offset={HUGE}", None, 422, "offset"),
    ("GET", f"/api/v1/users?client_id={HUGE}", None, 422, "client_id"),
    # Unknown ordering and query parameters.
    ("GET", "/api/v1/clients?ordering=secret", None, 422, "'-name'"),
    ("GET", "/api/v1/users?ordering=password", None, 422, "ordering"),
    ("GET", "/api/v1/audit?ordering=hash", None, 422, "ordering"),
    ("GET", "/api/v1/clients?q=a%00b", None, 422, "q"),
    ("GET", "/api/v1/tokens?activ=true", None, 422, "activ"),
    ("GET", "/api/v1/audit/verify?deep=1", None, 422, "deep"),
    # Ids that are not ids, or no object's.
    ("GET", "/api/v1/clients/abc", None, 422, "client_id"),
    ("GET", f"/api/v1/clients/{HUGE}", None, 404, "No such client"),
    ("GET", "/api/v1/contracts/0", None, 404, "No such contract"),
    ("DELETE", f"/api/v1/special-days/{HUGE}", None, 404, "No such special day"),
    # Tickets.
    ("POST", "/api/v1/tickets", {"client_id": HUGE, "subject": "x"}, 422, "client_id"),
    ("POST", "/api/v1/tickets", {"client_id": 999_999, "subject": "x"}, 422, "client_id"),
    ("GET", "/api/v1/tickets?ordering=secret", None, 422, "ordering"),
    ("GET", "/api/v1/tickets?priority=P9", None, 422, "priority"),
    ("GET", "/api/v1/tickets/abc", None, 422, "ticket_id"),
    ("GET", f"/api/v1/tickets/{HUGE}", None, 404, "No such ticket"),
    ("POST", "/api/v1/tickets/{ticket}/status", {"status": "bogus"}, 422, "status"),
    ("POST", "/api/v1/tickets/{ticket}/priority", {"impact": 5}, 422, "impact"),
    ("POST", "/api/v1/tickets/{ticket}/entries", {"body": ""}, 422, "body"),
    ("POST", "/api/v1/tickets/{ticket}/entries", {"body": "x", "kind": "memo"}, 422, "kind"),
    ("POST", "/api/v1/tickets/{ticket}/merge", {"target_id": HUGE}, 422, "target_id"),
    ("POST", "/api/v1/tickets/{ticket}/merge", {"target_id": 999_999}, 422, "target_id"),
    ("POST", "/api/v1/tickets/{ticket}/assign", {"assignee_id": 999_999}, 422, "assignee_id"),
    ("POST", "/api/v1/tickets/bulk", {"ticket_ids": []}, 422, "ticket_ids"),
    ("POST", "/api/v1/tickets/bulk", {"ticket_ids": [HUGE]}, 422, "ticket_ids"),
    (
        "POST",
        "/api/v1/tickets/{ticket}/split",
        {"entry_ids": [HUGE], "subject": "x"},
        422,
        "entry_ids",
    ),
    ("POST", "/api/v1/tickets/bulk", {"ticket_ids": [999_999], "status": "open"}, 404, "ticket"),
    ("GET", "/api/v1/tickets?ordering=next_soon", None, 422, "ordering"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {}}, 422, "clocks"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"lunch": {"target_minutes": 5}}}, 422, "clocks"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"resolution": {"target_minutes": 0}}}, 422, "target_minutes"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"resolution": {"target_minutes": 5, "calendar": "calendar"}}}, 422, "clocks.resolution.calendar_id"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"resolution": {"target_minutes": 5, "calendar_id": 999_999, "calendar": "calendar"}}}, 422, "clocks.resolution.calendar_id"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"resolution": {"target_minutes": 5, "warn_percent": 150}}}, 422, "warn_percent"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "priorities": ["P9"], "clocks": {"resolution": {"target_minutes": 5}}}, 422, "priorities"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "client_id": 999_999, "clocks": {"resolution": {"target_minutes": 5}}}, 422, "client_id"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"resolution": {"target_minutes": 5, "steps": [{"offset_minutes": 0, "action": "reassign"}]}}}, 422, "clocks.resolution.steps.0.user_id"),
    ("POST", "/api/v1/sla-policies", {"name": "x", "clocks": {"resolution": {"target_minutes": 5, "steps": [{"offset_minutes": 0, "action": "explode"}]}}}, 422, "action"),
    ("GET", f"/api/v1/sla-policies/{HUGE}", None, 404, "No such SLA policy"),
    ("GET", "/api/v1/sla-policies/abc", None, 422, "sla_policy_id"),
    ("POST", "/api/v1/sla-policies/999999/move", {"direction": "up"}, 404, "No such SLA policy"),
    # Mailboxes and mail templates.
    ("POST", "/api/v1/mailboxes", {"name": "Desk"}, 422, "address"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "not-an-email"}, 422, "address"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example", "port": 70000}, 422, "port"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example", "intake": "pop3"}, 422, "intake"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example"}, 422, "host"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example", "intake": "listener", "client_id": 999_999}, 422, "client_id"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example", "intake": "listener", "domain_routes": {"hanbit.example": 999_999}}, 422, "domain_routes.hanbit.example"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example", "intake": "listener", "domain_routes": {"not a domain": 1}}, 422, "domain_routes"),
    ("POST", "/api/v1/mailboxes", {"name": "Desk", "address": "d@msp.example", "intake": "listener", "password_encrypted": "x"}, 422, "password_encrypted"),
    ("PATCH", "/api/v1/mailboxes/{mailbox}", {"enabled": None}, 422, "enabled"),
    ("PATCH", "/api/v1/mailboxes/{mailbox}", {"security": "tls13"}, 422, "security"),
    ("PATCH", "/api/v1/mailboxes/{mailbox}", {"intake": "imap"}, 422, "host"),
    ("PATCH", f"/api/v1/mailboxes/{HUGE}", {"name": "x"}, 404, "No such mailbox"),
    ("GET", "/api/v1/mailboxes/abc", None, 422, "mailbox_id"),
    ("PUT", "/api/v1/mail-templates", {"kind": "ack", "language": "ko", "subject": "{% if %}", "body": "x"}, 422, "subject"),
    ("PUT", "/api/v1/mail-templates", {"kind": "ack", "language": "ko", "subject": "x", "body": "{% endif %}"}, 422, "body"),
    ("PUT", "/api/v1/mail-templates", {"kind": "memo", "language": "ko", "subject": "x", "body": "x"}, 422, "kind"),
    ("PUT", "/api/v1/mail-templates", {"kind": "ack", "language": "ja", "subject": "x", "body": "x"}, 422, "language"),
    ("PUT", "/api/v1/mail-templates", {"kind": "ack", "language": "ko", "subject": "", "body": "x"}, 422, "subject"),
    # Knowledge base.
    ("POST", "/api/v1/kb/articles", {"title": "x", "body": "y", "language": "de"}, 422, "language"),
    ("POST", "/api/v1/kb/articles", {"title": "x", "body": "y", "language": "en", "visibility": "client"}, 422, "client"),
    ("POST", "/api/v1/kb/articles", {"title": "x", "body": "y", "language": "en", "client_id": HUGE}, 422, "client_id"),
    ("POST", "/api/v1/kb/articles", {"title": "x", "body": "", "language": "en"}, 422, "body"),
    ("POST", "/api/v1/kb/articles", {"title": "x", "body": "y", "language": "en", "visibilty": "public"}, 422, "visibilty"),
    ("GET", "/api/v1/kb/articles?ordering=secret", None, 422, "ordering"),
    ("GET", "/api/v1/kb/articles?language=fr", None, 422, "language"),
    ("GET", "/api/v1/kb/articles?topic=x", None, 422, "topic"),
    ("GET", "/api/v1/kb/articles/abc", None, 422, "article_id"),
    ("GET", f"/api/v1/kb/articles/{HUGE}", None, 404, "No such article"),
    ("PATCH", "/api/v1/kb/articles/999999", {"title": "x"}, 404, "No such article"),
    ("GET", "/api/v1/kb/suggest", None, 422, "q"),
    ("GET", "/api/v1/kb/suggest?q=x&limit=500", None, 422, "limit"),
    ("POST", "/api/v1/kb/categories", {"name": ""}, 422, "name"),
    # Time entries.
    ("POST", "/api/v1/tickets/{ticket}/time-entries", {"minutes": 0, "date": "2026-01-05", "work_type": "remote"}, 422, "minutes"),
    ("POST", "/api/v1/tickets/{ticket}/time-entries", {"minutes": 5, "date": "yesterday", "work_type": "remote"}, 422, "date"),
    ("POST", "/api/v1/tickets/{ticket}/time-entries", {"minutes": 5, "date": "2026-01-05", "work_type": "nap"}, 422, "work_type"),
    ("POST", "/api/v1/tickets/{ticket}/time-entries", {"minutes": "ten", "date": "2026-01-05", "work_type": "remote"}, 422, "minutes"),
    ("POST", "/api/v1/tickets/{ticket}/timer/stop", {"work_type": "remote"}, 409, "timer"),
    ("POST", "/api/v1/tickets/{ticket}/timer/stop", {"work_type": "remote", "hours": 1}, 422, "hours"),
    ("DELETE", f"/api/v1/time-entries/{HUGE}", None, 404, "No such time entry"),
    ("GET", "/api/v1/time/totals?start=tomorrow", None, 422, "start"),
    # Satisfaction.
    ("PUT", "/api/v1/clients/{client}/csat-settings", {"enabled": True, "sample_percent": -1}, 422, "sample_percent"),
    ("PUT", "/api/v1/clients/{client}/csat-settings", {"enabled": "perhaps"}, 422, "enabled"),
    ("PUT", "/api/v1/clients/{client}/csat-settings", {"enabled": True, "delay_minutes": 10**6}, 422, "delay_minutes"),
    ("GET", "/api/v1/csat/results?since=last-week", None, 422, "since"),
    # On-call schedules (more in openmsp/oncall/tests/test_schedule_api.py).
    ("POST", "/api/v1/oncall/schedules", {"name": ""}, 422, "name"),
    (
        "POST",
        "/api/v1/oncall/schedules",
        {"name": "x", "time_zone": "Nowhere/City"},
        422,
        "time_zone",
    ),
    ("POST", "/api/v1/oncall/schedules", {"name": "x", "client_id": HUGE}, 422, "client_id"),
    ("POST", "/api/v1/oncall/schedules", {"name": "x", "client_id": 999_999}, 422, "client_id"),
    (
        "POST",
        "/api/v1/oncall/schedules",
        {"name": "x", "layers": [{"start": "2026-03-02T09:00:00Z", "member_ids": [999_999]}]},
        422,
        "layers.0.member_ids",
    ),
    (
        "POST",
        "/api/v1/oncall/schedules",
        {"name": "x", "layers": [{"start": "not a date", "member_ids": [1]}]},
        422,
        "layers.0.start",
    ),
    ("GET", "/api/v1/oncall/schedules/999999/now", None, 404, ""),
    ("GET", "/api/v1/oncall/now?colour=red", None, 422, "colour"),
    # Reports.
    ("POST", "/api/v1/reports", {"client_id": 999_999, "month": "2026-10"}, 422, "client_id"),
    ("POST", "/api/v1/reports", {"client_id": HUGE, "month": "2026-10"}, 422, "client_id"),
    ("POST", "/api/v1/reports", {"client_id": 1}, 422, "month"),
    ("GET", "/api/v1/reports?ordering=secret", None, 422, "ordering"),
    ("GET", "/api/v1/reports/abc", None, 422, "report_id"),
    ("GET", f"/api/v1/reports/{HUGE}", None, 404, "No such report"),
    # Quarterly business reviews.
    ("POST", "/api/v1/qbrs", {"client_id": 999_999, "quarter": "2026-Q3"}, 422, "client_id"),
    ("POST", "/api/v1/qbrs", {"client_id": 1}, 422, "quarter"),
    ("GET", "/api/v1/qbrs?ordering=secret", None, 422, "ordering"),
    ("GET", "/api/v1/qbrs?client_id=abc", None, 422, "client_id"),
    ("GET", "/api/v1/qbrs/abc", None, 422, "qbr_id"),
    ("GET", f"/api/v1/qbrs/{HUGE}", None, 404, "No such quarterly review"),
    ("GET", "/api/v1/qbr-runs?state=lost", None, 422, "state"),
    ("GET", "/api/v1/qbr-runs?ordering=secret", None, 422, "ordering"),
    ("GET", "/api/v1/qbr-runs/abc", None, 422, "qbr_run_id"),
    ("POST", f"/api/v1/qbr-runs/{HUGE}/resend", None, 404, "No such scheduled review"),
    ("GET", "/api/v1/meetings/abc", None, 422, "meeting_id"),
    ("GET", f"/api/v1/meetings/{HUGE}", None, 404, "No such meeting"),
    ("PATCH", "/api/v1/action-items/abc", {"done": True}, 422, "action_item_id"),
    ("PATCH", f"/api/v1/action-items/{HUGE}", {"done": True}, 404, "No such action item"),
]  # fmt: skip


@pytest.mark.parametrize("quarter", ["2026-Q5", "Q3", "2026-3", "1999-Q4", "2999-Q1", ""])
def test_a_review_for_a_quarter_that_is_not_one_is_a_422_naming_quarter(owner_http, ids, quarter):
    body = {"client_id": ids["client"], "quarter": quarter}
    assert_names(send(owner_http, "POST", "/api/v1/qbrs", body, ids), 422, "quarter")


@pytest.fixture
def qbr_ids(ids: dict[str, int], client_a: Client) -> dict[str, int]:
    from django.utils import timezone

    from openmsp.reports import actions as report_actions
    from openmsp.reports import qbr

    review = report_actions.generate_qbr(
        actor=SYSTEM, client=client_a, quarter=qbr.quarter_of(timezone.localdate())
    )
    meeting = report_actions.record_meeting(
        actor=SYSTEM, review=review, held_on=review.quarter_start, attendees=["Kim"],
        action_items=[{"title": "Quote", "owner": "Lee", "due_on": None}],
    )  # fmt: skip
    item = meeting.action_items.get()
    return {**ids, "qbr": review.pk, "meeting": meeting.pk, "item": item.pk}


QBR_CASES = [
    ("PATCH", "/api/v1/qbrs/{qbr}", {"agenda": "x" * 10_001}, "agenda"),
    ("PATCH", "/api/v1/qbrs/{qbr}", {"agenda": None}, "agenda"),
    ("PATCH", "/api/v1/qbrs/{qbr}", {"agenda": "a", "secret": 1}, "secret"),
    ("PUT", "/api/v1/qbrs/{qbr}/root-causes", {"fingerprint": "nope", "root_cause": "x"}, "fingerprint"),
    ("PUT", "/api/v1/qbrs/{qbr}/root-causes", {"fingerprint": "x", "root_cause": ""}, "root_cause"),
    ("POST", "/api/v1/qbrs/{qbr}/meetings", {"held_on": "tomorrow", "attendees": ["Kim"]}, "held_on"),
    ("POST", "/api/v1/qbrs/{qbr}/meetings", {"held_on": "2026-10-01", "attendees": []}, "attendees"),
    ("POST", "/api/v1/qbrs/{qbr}/meetings", {"held_on": "2026-10-01", "attendees": [" "]}, "attendees"),
    ("POST", "/api/v1/qbrs/{qbr}/meetings", {"held_on": "2026-10-01", "attendees": ["K"], "action_items": [{"title": "x"}]}, "action_items.0.owner"),
    ("POST", "/api/v1/qbrs/{qbr}/meetings", {"held_on": "2026-10-01", "attendees": ["K"], "action_items": [{"title": " ", "owner": "o"}]}, "title"),
    ("POST", "/api/v1/meetings/{meeting}/action-items", {"title": "x", "owner": "o", "due_on": "31/12"}, "due_on"),
    ("POST", "/api/v1/meetings/{meeting}/action-items", {"title": "x"}, "owner"),
    ("PATCH", "/api/v1/action-items/{item}", {"done": "maybe"}, "done"),
    ("PATCH", "/api/v1/action-items/{item}", {"title": ""}, "title"),
    ("PATCH", "/api/v1/action-items/{item}", {"owner": "   "}, "owner"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "named"), QBR_CASES)
def test_bad_input_to_a_review_is_a_422_naming_the_field(
    owner_http, qbr_ids, method, path, body, named
):
    assert_names(send(owner_http, method, path, body, qbr_ids), 422, named)


@pytest.mark.parametrize("month", ["2026-13", "October", "2026-1", "1999-12", "2999-01", ""])
def test_a_report_for_a_month_that_is_not_one_is_a_422_naming_month(owner_http, ids, month):
    body = {"client_id": ids["client"], "month": month}
    response = send(owner_http, "POST", "/api/v1/reports", body, ids)
    assert_names(response, 422, "month")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "named"),
    CASES,
    ids=[f"{c[0]} {c[1][:48]} -> {c[3]} {c[4][:20]}" for c in CASES],
)
def test_bad_input_answers_4xx_naming_the_problem(
    owner_http, ids, method, path, body, status, named
):
    assert_names(send(owner_http, method, path, body, ids), status, named)


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(owner_http):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    body = json.dumps({"name": "x" * size, "code": "big"})
    response = owner_http.post("/api/v1/clients", body, content_type=JSON)
    assert_names(response, 413, "limit")
    assert not Client.objects.filter(code="big").exists()


def test_a_body_without_content_length_is_not_read_and_answers_422(owner_http):
    # WSGI reads no more than Content-Length; without one the body is empty, never unbounded.
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "code": "big"})
    response = owner_http.generic(
        "POST", "/api/v1/clients", body, content_type=JSON, CONTENT_LENGTH=""
    )
    assert_names(response, 422, "body")
    assert not Client.objects.filter(code="big").exists()


def test_a_content_length_that_is_not_a_number_is_a_400(owner_http):
    response = owner_http.generic(
        "POST", "/api/v1/clients", "{}", content_type=JSON, CONTENT_LENGTH="lots"
    )
    assert_names(response, 400, "Content-Length")


def test_every_problem_of_a_422_is_listed(owner_http):
    response = owner_http.post("/api/v1/clients", {"name": 5, "extra": 1}, content_type=JSON)
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "code", "extra"}


def test_an_outsiders_invalid_request_about_another_clients_object_is_still_a_404(
    ids, charlie, api_as
):
    # Validation must not come first here: 404 is the only answer about another tenant's object.
    http = api_as(charlie)
    for method, path, body in (
        ("POST", "/api/v1/clients/{client}/contracts", {"name": "no start date"}),
        ("POST", "/api/v1/calendars/{calendar}/special-days", {"typo": 1}),
        ("GET", "/api/v1/calendars/{calendar}/working-minutes", None),
        ("GET", "/api/v1/calendars/{calendar}/add-minutes?minutes=-1", None),
        ("PATCH", "/api/v1/contracts/{contract}", {"notice_days": "soon"}),
    ):
        response = send(http, method, path, body, ids)
        assert response.status_code == 404, (method, path, response.content)
    same_request_on_own = send(
        http,
        "POST",
        "/api/v1/clients/{client}/contracts",
        {"name": "x"},
        {"client": charlie.client_id},
    )
    assert same_request_on_own.status_code == 422


def test_an_unknown_api_path_answers_json_404(msp_owner, api_as):
    response = api_as(msp_owner).get("/api/v1/no-such-thing/42")
    assert response.status_code == 404
    assert "No API operation" in response.json()["detail"]


def test_the_api_docs_page_loads_swagger_from_our_own_static_files(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in page
    assert "/static/ninja/" in page
