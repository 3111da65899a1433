"""Notification texts in the reader's language: the people of a route get their mail in the
language of their profile (one message per language), channels without a person (mail list,
webhook, Slack, Teams) in the client's language; delivered through a real SMTP server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.notifications import actions, dispatch, outbox
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import SYSTEM, email_channel, route, webhook_channel
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]


@pytest.fixture
def client_a(client_a):
    """Back to the default (Korean) the package's conftest changes for the other tests."""
    return tenant_actions.update_client(actor=SYSTEM, client=client_a, changes={"language": "ko"})


def _mails_to(smtp_peer: Any, address: str) -> list[Any]:
    return [m for m in smtp_peer.messages if address in m["To"]]


def test_a_korean_and_an_english_technician_each_read_the_same_problem_in_their_language(
    client_a, smtp_peer
):
    kim = make_user("kim@msp.example", Role.TECHNICIAN, language="ko")
    lee = make_user("lee@msp.example", Role.TECHNICIAN, language="en")
    rule = route(client_a, is_default=True)
    actions.update_route(actor=SYSTEM, route=rule, changes={}, people=[kim, lee])
    fired = change(client_a, title="ERP web is down", severity="critical")
    assert dispatch.flush_due_groups(now=later(31)) == 1
    assert outbox.deliver_due(worker="w1") == (2, 0), "one mail per language"

    [korean] = _mails_to(smtp_peer, "kim@msp.example")
    [english] = _mails_to(smtp_peer, "lee@msp.example")
    assert korean["Subject"] == "[발생:1] Hanbit Logistics · All problems"
    assert english["Subject"] == "[FIRING:1] Hanbit Logistics · All problems"
    assert "[발생] 심각: ERP web is down" in korean.get_content()
    assert "[FIRING] critical: ERP web is down" in english.get_content()
    for mail in (korean, english):
        assert f"/problems/{fired.problem_id}/" in mail.get_content()
    assert "lee@msp.example" not in korean["To"]


def test_people_reading_the_same_language_share_one_mail(client_a, smtp_peer):
    kim = make_user("kim@msp.example", Role.TECHNICIAN, language="ko")
    park = make_user("park@msp.example", Role.TECHNICIAN, language="ko")
    rule = route(client_a, is_default=True)
    actions.update_route(actor=SYSTEM, route=rule, changes={}, people=[kim, park])
    change(client_a)
    dispatch.flush_due_groups(now=later(31))
    assert outbox.deliver_due(worker="w1") == (1, 0)
    [mail] = smtp_peer.messages
    assert mail["To"] == "kim@msp.example, park@msp.example"
    assert mail["Subject"].startswith("[발생:1]")


def test_channels_without_a_person_use_the_clients_language(client_a, client_b, smtp_peer, http_peer):  # fmt: skip
    tenant_actions.update_client(actor=SYSTEM, client=client_b, changes={"language": "en"})
    route(client_a, email_channel(client_a, "noc@hanbit.example"), webhook_channel(client_a, http_peer.url), is_default=True)  # fmt: skip
    route(client_b, email_channel(client_b, "noc@saebom.example"), is_default=True)
    change(client_a, title="ERP web is down")
    change(client_b, title="LIMS is down")
    assert dispatch.flush_due_groups(now=later(31)) == 2
    assert outbox.deliver_due(worker="w1") == (3, 0)

    [hanbit] = _mails_to(smtp_peer, "noc@hanbit.example")
    [saebom] = _mails_to(smtp_peer, "noc@saebom.example")
    assert hanbit["Subject"] == "[발생:1] Hanbit Logistics · All problems"
    assert saebom["Subject"] == "[FIRING:1] Saebom Pharma · All problems"
    [hook] = http_peer.requests()
    body = json.loads(hook.body)
    assert body["subject"] == "[발생:1] Hanbit Logistics · All problems"
    assert body["language"] == "ko"
    assert body["problems"][0]["kind"] == "firing", "machine-readable fields stay codes"


def test_an_escalation_and_a_channel_test_are_written_in_the_readers_language(client_a, smtp_peer):  # fmt: skip
    lee = make_user("lee@msp.example", Role.TECHNICIAN, language="en")
    kim = make_user("kim@msp.example", Role.TECHNICIAN, language="ko")
    route(client_a, is_default=True, steps=[{"after_minutes": 5, "people": [kim, lee]}])
    change(client_a, title="Core switch down")
    assert dispatch.escalate_due(now=later(5 * 60 + 1)) == 1
    channel = email_channel(client_a, "noc@hanbit.example")
    actions.send_test(actor=SYSTEM, channel=channel)
    outbox.deliver_due(worker="w1", now=later(5 * 60 + 2))
    [korean] = [m for m in _mails_to(smtp_peer, "kim@msp.example") if "에스컬레이션" in m["Subject"]]  # fmt: skip
    [english] = [m for m in _mails_to(smtp_peer, "lee@msp.example") if "ESCALATION" in m["Subject"]]  # fmt: skip
    assert (
        korean["Subject"] == "[에스컬레이션 1:1] Hanbit Logistics · All problems · 5분 동안 미확인"
    )
    assert english["Subject"].endswith("· unacknowledged for 5 min")
    assert "[에스컬레이션] 심각: Core switch down" in korean.get_content()
    [test] = _mails_to(smtp_peer, "noc@hanbit.example")
    assert test["Subject"] == "[테스트] Hanbit Logistics · NOC mail"
    assert "OpenMSP 테스트 알림" in test.get_content()
