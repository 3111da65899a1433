"""Time on tickets: manual entries and the per-technician timer, totals per client and contract
period, and none of it ever visible to client users (UI or API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, NotFound, ValidationFailed
from openmsp.core.models import AuditRecord
from openmsp.servicedesk import timekeeping
from openmsp.servicedesk.models import TimeEntry
from openmsp.tenants import actions as tenant_actions

JSON = "application/json"
SYSTEM = Actor.system("test")


@pytest.fixture
def ticket(open_as, bob, client_a):
    return open_as(bob, client_a, subject="Label printer offline")


def test_a_technician_logs_time_and_it_is_audited(tech_a, ticket):
    entry = timekeeping.log_time(actor=Actor(user=tech_a), ticket=ticket, minutes=45, date=timezone.localdate(), work_type="onsite", billable=False, note="swapped toner")  # fmt: skip
    assert (entry.client_id, entry.technician_id, entry.billable) == (
        ticket.client_id,
        tech_a.pk,
        False,
    )
    assert AuditRecord.objects.filter(action="ticket.time_logged", object_id=str(entry.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 24 * 60 + 1}, "minutes"),
        ({"work_type": "napping"}, "work_type"),
        ({"date": dt.date(2999, 1, 1)}, "date"),
        ({"note": "x" * 1001}, "note"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(tech_a, ticket, fields, field):
    values = {"minutes": 30, "date": timezone.localdate(), "work_type": "remote", **fields}
    with pytest.raises(ValidationFailed) as exc:
        timekeeping.log_time(actor=Actor(user=tech_a), ticket=ticket, **values)
    assert exc.value.field == field


def test_the_timer_runs_once_per_technician_and_stopping_logs_rounded_up_minutes(tech_a, msp_owner, ticket, time_machine):  # fmt: skip
    time_machine.move_to(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC), tick=False)
    timekeeping.start_timer(actor=Actor(user=tech_a), ticket=ticket)
    timekeeping.start_timer(actor=Actor(user=msp_owner), ticket=ticket)  # someone else's: fine
    with pytest.raises(Conflict):
        timekeeping.start_timer(actor=Actor(user=tech_a), ticket=ticket)
    time_machine.move_to(dt.datetime(2026, 3, 2, 1, 12, 5, tzinfo=dt.UTC), tick=False)
    entry = timekeeping.stop_timer(actor=Actor(user=tech_a), ticket=ticket, work_type="remote")
    assert entry.minutes == 13
    assert entry.started_at == dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    assert entry.date == dt.date(2026, 3, 2)
    with pytest.raises(Conflict):
        timekeeping.stop_timer(actor=Actor(user=tech_a), ticket=ticket, work_type="remote")
    assert timekeeping.running_timer(Actor(user=msp_owner), ticket) is not None


def test_a_bad_work_type_on_stop_keeps_the_timer_running(tech_a, ticket):
    timekeeping.start_timer(actor=Actor(user=tech_a), ticket=ticket)
    with pytest.raises(ValidationFailed):
        timekeeping.stop_timer(actor=Actor(user=tech_a), ticket=ticket, work_type="nap")
    assert timekeeping.running_timer(Actor(user=tech_a), ticket) is not None


def test_totals_per_client_and_per_contract_period(tech_a, ticket, client_a):
    contract = tenant_actions.create_contract(actor=SYSTEM, client=client_a, name="2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30), support_hours="24x7")  # fmt: skip
    tech = Actor(user=tech_a)
    for day, minutes, billable in ((dt.date(2025, 12, 31), 100, True), (dt.date(2026, 1, 1), 30, True), (dt.date(2026, 6, 30), 20, False), (dt.date(2026, 7, 1), 7, True)):  # fmt: skip
        TimeEntry.objects.create(client=client_a, ticket=ticket, technician=tech_a, date=day, minutes=minutes, work_type="remote", billable=billable)  # fmt: skip
    [per_client] = timekeeping.totals_per_client(tech)
    assert (per_client.minutes, per_client.billable_minutes) == (157, 137)
    [per_contract] = timekeeping.totals_per_contract(tech)
    assert per_contract.contract_id == contract.pk
    assert (per_contract.minutes, per_contract.billable_minutes) == (50, 30)
    assert (per_contract.start, per_contract.end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    [ranged] = timekeeping.totals_per_client(
        tech, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)
    )
    assert ranged.minutes == 30


def test_client_users_never_see_time(bob, alice, ticket, tech_a, api_as, web_as):
    timekeeping.log_time(actor=Actor(user=tech_a), ticket=ticket, minutes=30, date=timezone.localdate(), work_type="remote", note="secret-note-42")  # fmt: skip
    for who in (bob, alice):
        with pytest.raises(NotFound):
            timekeeping.entries_of(Actor(user=who), ticket)
        http = api_as(who)
        assert http.get(f"/api/v1/tickets/{ticket.pk}/time-entries").status_code == 404
        assert http.post(f"/api/v1/tickets/{ticket.pk}/timer/start").status_code == 404
        assert http.get("/api/v1/time/totals").status_code == 403
        page = web_as(who).get(f"/tickets/{ticket.pk}/").content.decode()
        assert "secret-note-42" not in page
        assert 'id="time-panel"' not in page
        assert web_as(who).post(f"/tickets/{ticket.pk}/time/", {"minutes": 5}).status_code == 404
        assert web_as(who).get("/tickets/time/").status_code == 404
    assert TimeEntry.objects.count() == 1


def test_the_api_logs_times_and_reports_totals(api_as, tech_a, ticket, client_a):
    http = api_as(tech_a)
    day = timezone.localdate().isoformat()
    r = http.post(f"/api/v1/tickets/{ticket.pk}/time-entries", {"minutes": 25, "date": day, "work_type": "remote"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 201, r.content
    r = http.post(f"/api/v1/tickets/{ticket.pk}/time-entries", {"minutes": 5, "date": day, "work_type": "yoga"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 422
    assert r.json()["field"] == "work_type"
    assert http.post(f"/api/v1/tickets/{ticket.pk}/timer/start").status_code == 201
    assert http.post(f"/api/v1/tickets/{ticket.pk}/timer/start").status_code == 409
    r = http.post(f"/api/v1/tickets/{ticket.pk}/timer/stop", {"work_type": "remote"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 201
    assert r.json()["minutes"] >= 1
    assert len(http.get(f"/api/v1/tickets/{ticket.pk}/time-entries").json()) == 2
    totals = http.get("/api/v1/time/totals", {"client_id": client_a.pk}).json()
    assert totals["per_client"][0]["minutes"] == 25 + r.json()["minutes"]
    assert "remote" in totals["work_types"]
    assert http.get("/api/v1/time/totals", {"clientid": 1}).status_code == 422
    entry_id = r.json()["id"]
    assert http.delete(f"/api/v1/time-entries/{entry_id}").status_code == 204
    assert http.delete(f"/api/v1/time-entries/{entry_id}").status_code == 404


def test_the_ticket_page_logs_time_and_runs_the_timer(web_as, tech_a, ticket):
    http = web_as(tech_a)
    assert 'id="timer-start"' in http.get(f"/tickets/{ticket.pk}/").content.decode()
    r = http.post(f"/tickets/{ticket.pk}/time/", {"minutes": "40", "date": timezone.localdate().isoformat(), "work_type": "onsite", "billable": "1"})  # fmt: skip
    assert r.status_code == 302
    assert TimeEntry.objects.get().minutes == 40
    http.post(f"/tickets/{ticket.pk}/time/", {"minutes": "lots", "date": "", "work_type": "onsite"})
    assert TimeEntry.objects.count() == 1
    http.post(f"/tickets/{ticket.pk}/timer/", {"action": "start"})
    assert 'id="timer-stop"' in http.get(f"/tickets/{ticket.pk}/").content.decode()
    http.post(f"/tickets/{ticket.pk}/timer/", {"action": "stop", "work_type": "remote"})
    assert TimeEntry.objects.count() == 2
    page = http.get("/tickets/time/").content.decode()
    assert ticket.client.name in page
