"""The escalation ladder: scheduled when a problem fires, each step sent once when its time
comes unacknowledged, cancelled by acknowledgement or resolution."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.notifications import actions, dispatch, outbox
from openmsp.notifications.models import OutboxMessage, PendingEscalation
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import SYSTEM, email_channel, webhook_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def ladder(client_a):
    oncall = make_user("oncall@msp.example", Role.TECHNICIAN, full_name="On Call", language="en")
    lead = make_user("lead@msp.example", Role.MSP_ADMIN, full_name="Team Lead", language="en")
    hook = webhook_channel(client_a, "https://hooks.example/pager")
    return actions.create_route(
        actor=SYSTEM,
        client=client_a,
        name="Critical",
        is_default=True,
        channels=[email_channel(client_a)],
        steps=[
            {"after_minutes": 5, "people": [oncall]},
            {"after_minutes": 15, "people": [lead], "channels": [hook]},
        ],
    )


def _escalations() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(origin="escalation").order_by("pk"))


def test_each_step_fires_once_when_its_time_comes_unacknowledged(client_a, ladder):
    change(client_a)
    change(client_a)  # two problems of the outage escalate together
    assert dispatch.escalate_due(now=later(4 * 60)) == 0
    assert dispatch.escalate_due(now=later(5 * 60 + 1)) == 2
    [first] = _escalations()
    assert first.recipients == ["oncall@msp.example"]
    assert first.channel is None
    assert first.subject.startswith("[ESCALATION 1:2]")
    assert dispatch.escalate_due(now=later(6 * 60)) == 0, "a step is sent once"

    assert dispatch.escalate_due(now=later(15 * 60 + 1)) == 2
    kinds = sorted((m.kind, tuple(m.recipients)) for m in _escalations()[1:])
    assert kinds == [("email", ("lead@msp.example",)), ("webhook", ())]
    assert all(m.payload["escalation_step"] == 2 for m in _escalations()[1:])


def test_acknowledging_or_resolving_cancels_the_rest_of_the_ladder(client_a, ladder):
    acked, resolved = change(client_a), change(client_a)
    dispatch.escalate_due(now=later(5 * 60 + 1))
    change(client_a, acked.problem_id, kind="acknowledged")
    change(client_a, resolved.problem_id, kind="resolved")
    assert dispatch.escalate_due(now=later(60 * 60)) == 0
    assert len(_escalations()) == 1
    states = sorted(PendingEscalation.objects.values_list("state", flat=True))
    assert states == ["cancelled", "cancelled", "sent", "sent"]


def test_a_repeated_firing_does_not_restart_the_ladder_but_a_reopening_does(client_a, ladder):
    fired = change(client_a)
    dispatch.escalate_due(now=later(5 * 60 + 1))
    change(client_a, fired.problem_id)
    assert dispatch.escalate_due(now=later(10 * 60)) == 0
    change(client_a, fired.problem_id, kind="resolved")
    change(client_a, fired.problem_id, kind="reopened", at=later(11 * 60))
    assert dispatch.escalate_due(now=later(16 * 60 + 1)) == 1, "step 1 again"


def test_escalation_mail_reaches_the_on_call_technician(client_a, ladder, smtp_peer, time_machine):
    change(client_a, title="Core switch down")
    dispatch.escalate_due(now=later(5 * 60 + 1))
    time_machine.move_to(later(5 * 60 + 2), tick=True)  # delivery runs on the real clock
    assert outbox.deliver_due(worker="w1")[0] == 1
    [mail] = [m for m in smtp_peer.messages if "ESCALATION" in m["Subject"]]
    assert mail["To"] == "oncall@msp.example"
    assert "Core switch down" in mail.get_content()


def test_a_step_cannot_name_client_users_or_come_before_the_previous_one(client_a, alice):
    from openmsp.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        actions.create_route(
            actor=SYSTEM, client=client_a, name="x", steps=[{"after_minutes": 5, "people": [alice]}]
        )
    assert exc.value.field == "steps.0.people_ids"
    with pytest.raises(ValidationFailed) as exc:
        actions.create_route(
            actor=SYSTEM,
            client=client_a,
            name="y",
            steps=[
                {"after_minutes": 10, "channels": [email_channel(client_a)]},
                {"after_minutes": 5, "channels": [email_channel(client_a, name="b")]},
            ],
        )
    assert exc.value.field == "steps.1.after_minutes"
