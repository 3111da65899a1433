"""CSAT end to end against a real SMTP server (aiosmtpd on 127.0.0.1): resolving schedules a
survey, the job mails it only after the client's delay, one click on the link records the answer
(no login), the link works once and expires, a reopen cancels a pending survey, and results are
counted per technician and per client."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from openmsp.core.actor import Actor
from openmsp.notifications import outbox
from openmsp.notifications.tests.peers import SmtpPeer
from openmsp.servicedesk import actions, csat
from openmsp.servicedesk.models import CsatSurvey

SYSTEM = Actor.system("test")
JSON = "application/json"
LINK = re.compile(r"https?://\S+/csat/([A-Za-z0-9_-]+)/(good|bad)")


@pytest.fixture
def smtp(smtp: SmtpPeer, settings: Any) -> SmtpPeer:
    settings.DEFAULT_FROM_EMAIL = "OpenMSP <desk@msp.example>"
    return smtp


@pytest.fixture
def surveyed(client_a):
    csat.update_setting(actor=SYSTEM, client=client_a, enabled=True, sample_percent=100, delay_minutes=30)  # fmt: skip
    return client_a


@pytest.fixture
def ticket(open_as, bob, surveyed, tech_a):
    t = open_as(bob, surveyed, subject="Scanner jams")
    actions.assign(actor=SYSTEM, ticket=t, assignee=tech_a)
    return t


def resolve(t):
    return actions.change_status(actor=SYSTEM, ticket=t, status="resolved")


def mail_links(smtp: SmtpPeer) -> dict[str, str]:
    [mail] = smtp.messages
    return {rating: url for url, rating in ((m.group(0), m.group(2)) for m in LINK.finditer(mail.get_content()))}  # type: ignore[attr-defined]  # fmt: skip


def test_a_resolved_ticket_is_surveyed_after_the_delay_and_one_click_records_the_answer(ticket, smtp, client, bob, tech_a, time_machine):  # fmt: skip
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    resolve(ticket)
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert survey.send_after == start + dt.timedelta(minutes=30)
    assert (survey.recipient, survey.technician_id) == (bob.email, tech_a.pk)
    time_machine.move_to(start + dt.timedelta(minutes=29), tick=False)
    assert csat.send_due() == 0
    time_machine.move_to(start + dt.timedelta(minutes=30), tick=False)
    assert csat.send_due() == 1
    assert csat.send_due() == 0  # claimed once
    assert outbox.deliver_due(worker="test") == (1, 0)
    [mail] = smtp.messages
    assert mail["To"] == bob.email
    assert ticket.number in mail["Subject"]
    links = mail_links(smtp)
    assert set(links) == {"good", "bad"}
    path = links["good"].split("://", 1)[1].split("/", 1)[1]
    r = client.get("/" + path)  # not signed in
    assert r.status_code == 200
    assert 'data-rating="good"' in r.content.decode()
    survey.refresh_from_db()
    assert (survey.status, survey.rating) == ("answered", "good")
    assert client.get("/" + path.replace("/good", "/bad")).status_code == 410  # works once
    token = LINK.search(links["good"]).group(1)  # type: ignore[union-attr]
    assert client.post(f"/csat/{token}/comment/", {"comment": "  "}).status_code == 422
    assert (
        client.post(f"/csat/{token}/comment/", {"comment": "빠른 처리 감사합니다"}).status_code
        == 200
    )
    assert client.post(f"/csat/{token}/comment/", {"comment": "again"}).status_code == 410
    assert client.post("/csat/unknown-token/comment/", {"comment": "hi"}).status_code == 410
    survey.refresh_from_db()
    assert survey.comment == "빠른 처리 감사합니다"
    assert survey.rating == "good"
    assert token not in survey.token_hash  # only the hash is stored


def test_a_reopen_cancels_the_pending_survey(ticket, bob, smtp, tech_a):
    resolve(ticket)
    actions.reply(actor=Actor(user=bob), ticket=ticket, body="Still jams.")
    assert CsatSurvey.objects.get(ticket=ticket).status == "cancelled"
    assert csat.send_due(now=timezone.now() + dt.timedelta(days=1)) == 0
    # Bob's message itself goes to the ticket's technician; no survey goes anywhere.
    outbox.deliver_due(worker="test")
    assert [m["To"] for m in smtp.messages] == [tech_a.email]


def test_sampling_and_the_off_switch_decide_whether_a_survey_is_scheduled(ticket, surveyed):
    csat.update_setting(actor=SYSTEM, client=surveyed, enabled=True, sample_percent=0, delay_minutes=0)  # fmt: skip
    resolve(ticket)
    assert not CsatSurvey.objects.exists()
    actions.change_status(actor=SYSTEM, ticket=ticket, status="open")
    csat.update_setting(actor=SYSTEM, client=surveyed, enabled=False, sample_percent=100, delay_minutes=0)  # fmt: skip
    resolve(ticket)
    assert not CsatSurvey.objects.exists()


def test_an_expired_or_unknown_link_records_nothing(ticket, client, time_machine, settings):
    resolve(ticket)
    csat.send_due(now=timezone.now() + dt.timedelta(hours=1))
    survey = CsatSurvey.objects.get()
    token = "known-only-by-hash"
    CsatSurvey.objects.filter(pk=survey.pk).update(token_hash=csat.hash_token(token))
    assert client.get("/csat/not-a-token/good").status_code == 410
    assert client.get("/csat/" + "x" * 500 + "/bad").status_code == 410
    time_machine.move_to(timezone.now() + dt.timedelta(days=settings.SD_CSAT_TOKEN_DAYS + 1), tick=False)  # fmt: skip
    assert client.get(f"/csat/{token}/good").status_code == 410
    assert CsatSurvey.objects.get().status == "sent"


def test_a_requester_without_an_address_is_skipped(open_as, msp_owner, surveyed):
    t = actions.open_ticket(actor=SYSTEM, client=surveyed, subject="From the phone")
    resolve(t)
    assert csat.send_due(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert CsatSurvey.objects.get().status == "skipped"


def _answered(ticket, tech, rating, at):
    return CsatSurvey.objects.create(client_id=ticket.client_id, ticket=ticket, technician=tech, status="answered", rating=rating, send_after=at, answered_at=at)  # fmt: skip


def test_results_per_technician_client_and_week_on_the_page_and_in_the_api(ticket, tech_a, msp_owner, web_as, api_as, charlie, tech_b):  # fmt: skip
    now = timezone.now()
    for rating, days in (("good", 0), ("good", 1), ("bad", 8)):
        _answered(ticket, tech_a, rating, now - dt.timedelta(days=days))
    r = csat.results(Actor(user=msp_owner))
    [tech] = r.by_technician
    assert (tech["name"], tech["good"], tech["bad"], tech["score"]) == ("Tina Tech", 2, 1, 66.7)
    assert r.by_client[0]["name"] == ticket.client.name
    assert sum(w["good"] + w["bad"] for w in r.weeks) == 3
    assert len(r.weeks) >= 2
    page = web_as(msp_owner).get("/tickets/satisfaction/").content.decode()
    assert 'id="csat-chart"' in page
    assert 'id="csat-data"' in page
    assert "Tina Tech" in page
    api = api_as(msp_owner).get("/api/v1/csat/results").json()
    assert api["by_client"][0]["good"] == 2
    assert csat.results(Actor(user=tech_b)).by_client == []  # limited to client B
    assert api_as(charlie).get("/api/v1/csat/results").status_code == 403
    assert web_as(charlie).get("/tickets/satisfaction/").status_code == 404


def test_settings_through_the_api_and_the_page(api_as, web_as, msp_owner, alice, client_a):
    http = api_as(msp_owner)
    url = f"/api/v1/clients/{client_a.pk}/csat-settings"
    assert http.get(url).json() == {"client_id": client_a.pk, "enabled": False, "sample_percent": 100, "delay_minutes": 60}  # fmt: skip
    r = http.put(
        url, {"enabled": True, "sample_percent": 25, "delay_minutes": 0}, content_type=JSON
    )
    assert r.status_code == 200
    assert r.json()["sample_percent"] == 25
    r = http.put(url, {"enabled": True, "sample_percent": 101}, content_type=JSON)
    assert r.status_code == 422
    assert r.json()["field"] == "sample_percent"
    assert api_as(alice).get(url).status_code == 403
    page = web_as(msp_owner)
    r = page.post(f"/tickets/satisfaction/settings/{client_a.pk}/", {"enabled": "1", "sample_percent": "50", "delay_minutes": "10"})  # fmt: skip
    assert r.status_code == 302
    assert csat.setting_of(client_a).sample_percent == 50
    r = page.post(f"/tickets/satisfaction/settings/{client_a.pk}/", {"sample_percent": "x", "delay_minutes": "1"})  # fmt: skip
    assert r.status_code == 422
