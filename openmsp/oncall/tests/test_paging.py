"""On-call used by notifications: a route or a ladder step naming a schedule tells whoever is on
call at the instant the message is written, an override winning; a new P1 ticket pages them."""

from __future__ import annotations

import datetime as dt

import pytest

from openmsp.core.actor import Actor
from openmsp.notifications import actions as notify_actions
from openmsp.notifications import dispatch, outbox
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.conftest import change, later
from openmsp.oncall import actions
from openmsp.oncall.tests.conftest import make_schedule
from openmsp.servicedesk import actions as desk_actions

SYSTEM = Actor.system("test")
TUESDAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # 18:00 KST, week 1: kim


@pytest.fixture(autouse=True)
def _tuesday(time_machine):
    time_machine.move_to(TUESDAY, tick=False)


@pytest.fixture
def noc(kim, lee):
    return make_schedule(kim, lee)


def _route(client, noc, **extra):
    return notify_actions.create_route(
        actor=SYSTEM, client=client, name="Default", is_default=True, **extra
    )


def _grouped_recipients(client):
    change(client)
    dispatch.flush_due_groups(now=later(31))
    message = OutboxMessage.objects.filter(origin="group").latest("pk")
    return message.recipients


def test_a_problem_is_told_to_whoever_is_on_call_at_that_instant(
    client_a, noc, kim, lee, time_machine
):
    _route(client_a, noc, oncall_schedules=[noc])
    assert _grouped_recipients(client_a) == [kim.email]
    time_machine.move_to(TUESDAY + dt.timedelta(days=7), tick=False)  # week 2: lee
    assert _grouped_recipients(client_a) == [lee.email]


def test_an_override_wins_over_the_rotation(client_a, noc, kim, park):
    _route(client_a, noc, oncall_schedules=[noc])
    actions.add_override(
        actor=SYSTEM, schedule=noc, user=park, start=TUESDAY, end=TUESDAY + dt.timedelta(hours=4)
    )
    assert _grouped_recipients(client_a) == [park.email]


def test_an_escalation_step_resolves_the_on_call_person_when_it_fires_not_when_scheduled(
    client_a, noc, kim, park
):
    _route(client_a, noc, steps=[{"after_minutes": 5, "oncall_schedules": [noc]}])
    change(client_a)
    # After the problem fired (and the step was scheduled), park takes over.
    actions.add_override(
        actor=SYSTEM,
        schedule=noc,
        user=park,
        start=TUESDAY + dt.timedelta(minutes=2),
        end=TUESDAY + dt.timedelta(hours=2),
    )
    assert dispatch.escalate_due(now=later(5 * 60 + 1)) == 1
    [message] = OutboxMessage.objects.filter(origin="escalation")
    assert message.recipients == [park.email]


def test_the_on_call_mail_reaches_the_person_through_smtp(
    client_a, noc, kim, smtp_peer, time_machine
):
    _route(client_a, noc, oncall_schedules=[noc])
    change(client_a, title="Core switch down")
    dispatch.flush_due_groups(now=later(31))
    time_machine.move_to(later(32), tick=True)
    assert outbox.deliver_due(worker="w1")[0] == 1
    [mail] = smtp_peer.messages
    assert mail["To"] == kim.email
    assert "Core switch down" in mail.get_content()


def test_a_route_of_another_client_cannot_page_a_client_scoped_schedule(client_a, client_b, kim):
    theirs = make_schedule(kim, name="Saebom only", client=client_b)
    from openmsp.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        _route(client_a, theirs, oncall_schedules=[theirs])
    assert exc.value.field == "oncall_schedule_ids"


def _pages():
    return list(OutboxMessage.objects.filter(origin="page"))


def test_a_new_p1_ticket_pages_the_configured_schedules_on_call_person(
    settings, client_a, noc, kim
):
    settings.OPENMSP_ONCALL_P1_SCHEDULE = "NOC"
    ticket = desk_actions.open_ticket(
        actor=SYSTEM, client=client_a, subject="ERP down", impact=1, urgency=1
    )
    [page] = _pages()
    assert page.recipients == [kim.email]
    assert page.subject == f"[P1] {client_a.name} · {ticket.number} ERP down"
    assert page.client_id == client_a.pk


def test_other_priorities_and_an_unset_schedule_page_nobody(settings, client_a, noc):
    settings.OPENMSP_ONCALL_P1_SCHEDULE = "NOC"
    desk_actions.open_ticket(actor=SYSTEM, client=client_a, subject="Slow", impact=2, urgency=1)
    settings.OPENMSP_ONCALL_P1_SCHEDULE = ""
    desk_actions.open_ticket(actor=SYSTEM, client=client_a, subject="Down", impact=1, urgency=1)
    settings.OPENMSP_ONCALL_P1_SCHEDULE = "No such schedule"
    desk_actions.open_ticket(actor=SYSTEM, client=client_a, subject="Down", impact=1, urgency=1)
    assert _pages() == []


def test_a_p1_page_follows_an_override(settings, client_a, noc, park):
    settings.OPENMSP_ONCALL_P1_SCHEDULE = "NOC"
    actions.add_override(
        actor=SYSTEM, schedule=noc, user=park, start=TUESDAY, end=TUESDAY + dt.timedelta(hours=1)
    )
    desk_actions.open_ticket(actor=SYSTEM, client=client_a, subject="Down", impact=1, urgency=1)
    assert [p.recipients for p in _pages()] == [[park.email]]


def test_staff_name_a_schedule_on_a_route_through_the_api_and_client_admins_cannot(
    client_a, noc, alice, msp_owner, api_as
):
    import json

    url = f"/api/v1/clients/{client_a.pk}/notification-routes"
    body = {"name": "Pager", "steps": [{"after_minutes": 5, "oncall_schedule_ids": [noc.pk]}]}
    refused = api_as(alice).post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["field"] == "steps.0.oncall_schedule_ids"
    made = api_as(msp_owner).post(
        url, json.dumps({**body, "oncall_schedule_ids": [noc.pk]}), content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["oncall_schedule_ids"] == [noc.pk]
    assert made.json()["steps"][0]["oncall_schedule_ids"] == [noc.pk]
    unknown = api_as(msp_owner).post(
        url,
        json.dumps({"name": "X", "oncall_schedule_ids": [987654]}),
        content_type="application/json",
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "oncall_schedule_ids")
