"""Every page of the shell renders whole, in Korean and in English, for a persona allowed to see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions, queries
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")

# (url name, the persona who opens it, which objects the URL needs), and a word of its page in
# each language.
PAGES = [
    ("dashboard", "msp_owner", (), "대시보드", "Dashboard"),
    ("dashboard", "bob", (), "우리 회사", "Your company"),
    ("client_list", "tech_b", (), "고객사", "Clients"),
    ("client_create", "msp_owner", (), "새 고객사", "New client"),
    ("client_detail", "alice", ("client",), "개요", "Overview"),
    ("client_edit", "msp_admin", ("client",), "고객사 수정", "Edit client"),
    ("client_sites", "bob", ("client",), "사이트", "Sites"),
    ("site_create", "alice", ("client",), "새 사이트", "New site"),
    ("site_edit", "alice", ("client", "site"), "사이트 수정", "Edit site"),
    ("client_contacts", "alice", ("client",), "담당자", "Contacts"),
    ("contact_create", "alice", ("client",), "새 담당자", "New contact"),
    ("contact_edit", "alice", ("client", "contact"), "담당자 수정", "Edit contact"),
    ("client_contracts", "auditor", ("client",), "계약", "Contracts"),
    ("contract_create", "msp_admin", ("client",), "새 계약", "New contract"),
    ("contract_detail", "alice", ("client", "contract"), "SLA 목표", "SLA targets"),
    ("contract_edit", "msp_owner", ("client", "contract"), "계약 수정", "Edit contract"),
    ("client_calendars", "alice", ("client",), "영업일 달력", "Business calendars"),
    ("calendar_list", "msp_owner", (), "영업일 달력", "Business calendars"),
    ("calendar_create", "msp_owner", ("client",), "새 영업일 달력", "New business calendar"),
    ("shared_calendar_create", "msp_owner", (), "새 영업일 달력", "New business calendar"),
    ("calendar_detail", "alice", ("calendar",), "미리 보기", "Preview"),
    ("calendar_edit", "msp_owner", ("calendar",), "달력 수정", "Edit calendar"),
    ("special_day_create", "msp_owner", ("calendar",), "새 특별 일자", "New special day"),
    ("audit_list", "auditor", (), "감사 로그", "Audit log"),
    ("audit_detail", "auditor", ("record",), "감사 기록", "Audit record"),
]


@pytest.fixture
def objects(client_a):
    site = actions.create_site(actor=SYSTEM, client=client_a, name="HQ")
    calendar = queries.calendars_visible_to(SYSTEM).get(client=client_a)
    return {
        "client": client_a.pk,
        "site": site.pk,
        "contact": actions.create_contact(actor=SYSTEM, client=client_a, name="Kim", site=site).pk,
        "contract": actions.create_contract(
            actor=SYSTEM,
            client=client_a,
            name="MSA",
            start_date=dt.date(2026, 1, 1),
            calendar=calendar,
        ).pk,
        "calendar": calendar.pk,
        "record": AuditRecord.objects.order_by("-seq")[0].pk,
    }


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize(("name", "persona", "needs", "korean", "english"), PAGES)
def test_the_page_renders_in_the_viewers_language(
    request, web_as, objects, language, name, persona, needs, korean, english
):
    user = speaking(request.getfixturevalue(persona), language)
    response = web_as(user).get(reverse(name, args=[objects[n] for n in needs]))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in text
    assert (korean if language == "ko" else english) in text
