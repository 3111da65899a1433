"""Contracts: the full form (term, services, support hours, SLA targets, billing, data
protection, communication), its validation, and who may see it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from openmsp.core.actor import Actor
from openmsp.tenants import actions, queries
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


def _calendar(client):
    return queries.calendars_visible_to(SYSTEM).filter(client=client).first()


def _form(client, **changes):
    data = {
        "name": "Managed services 2026",
        "reference": "MSA-2026-01",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "renewal": "automatic",
        "notice_days": "60",
        "services": ["monitoring", "integration_ops"],
        "support_hours": "calendar",
        "calendar": str(_calendar(client).pk),
        "availability_target": "99.9",
        "billing_model": "fixed_monthly",
        "rate": "4500000",
        "currency": "krw",
        "included_hours": "20",
        "dpa_signed": "on",
        "dpa_signed_on": "2025-12-20",
        "data_location": "KR",
        "retention_days": "1095",
        "report_frequency": "monthly",
        "report_recipients": "cio@hanbit.example, ops@hanbit.example",
        "meeting_cadence": "quarterly",
        "qbr_delay_days": "5",
        "sla-TOTAL_FORMS": "4",
        "sla-INITIAL_FORMS": "4",
        "sla-MIN_NUM_FORMS": "4",
        "sla-MAX_NUM_FORMS": "4",
    }
    targets = {
        "P1": (15, 60, 240, True),
        "P2": (30, 120, 480, False),
        "P3": (120, "", 1440, False),
        "P4": ("", "", "", False),
    }
    for index, (priority, (first, nxt, resolution, always)) in enumerate(targets.items()):
        data[f"sla-{index}-priority"] = priority
        data[f"sla-{index}-first_response_minutes"] = str(first)
        data[f"sla-{index}-next_response_minutes"] = str(nxt)
        data[f"sla-{index}-resolution_minutes"] = str(resolution)
        if always:
            data[f"sla-{index}-always_open"] = "on"
    data.update(changes)
    return data


def test_the_new_contract_form_offers_every_field_and_only_suitable_calendars(
    msp_owner, client_a, client_b, web_as
):
    text = (
        web_as(speaking(msp_owner, "en"))
        .get(reverse("contract_create", args=[client_a.pk]))
        .content.decode()
    )
    for name in ("start_date", "renewal", "services", "support_hours", "calendar", "availability_target",
                 "billing_model", "rate", "currency", "included_hours", "dpa_signed", "dpa_signed_on",
                 "data_location", "retention_days", "report_frequency", "report_recipients", "meeting_cadence",
                 "qbr_email", "qbr_recipients", "qbr_delay_days", "sla-0-first_response_minutes", "sla-3-always_open"):  # fmt: skip
        assert f'name="{name}"' in text, name
    choices = text[text.index('name="calendar"') :].split("</select>")[0]
    assert f'value="{_calendar(client_a).pk}"' in choices
    assert f'value="{_calendar(client_b).pk}"' not in choices


def test_the_owner_creates_a_contract_with_sla_targets(msp_owner, client_a, web_as):
    response = web_as(msp_owner).post(
        reverse("contract_create", args=[client_a.pk]), _form(client_a)
    )
    contract = queries.contracts_visible_to(SYSTEM).get(client=client_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("contract_detail", args=[client_a.pk, contract.pk])
    assert contract.services == ["monitoring", "integration_ops"]
    assert contract.report_recipients == ["cio@hanbit.example", "ops@hanbit.example"]
    assert contract.currency == "KRW"
    assert contract.rate == Decimal("4500000")
    assert contract.dpa_signed_on == dt.date(2025, 12, 20)
    targets = {t.priority: t for t in contract.sla_targets.all()}
    assert sorted(targets) == ["P1", "P2", "P3"]
    assert targets["P1"].always_open
    assert targets["P1"].first_response_minutes == 15
    assert targets["P3"].next_response_minutes is None


def test_the_contract_page_shows_its_sla_targets_in_korean_and_english(msp_owner, client_a, web_as):
    web_as(msp_owner).post(reverse("contract_create", args=[client_a.pk]), _form(client_a))
    contract = queries.contracts_visible_to(SYSTEM).get(client=client_a)
    url = reverse("contract_detail", args=[client_a.pk, contract.pk])
    english = web_as(speaking(msp_owner, "en")).get(url).content.decode()
    assert "SLA targets" in english
    assert "P1 critical" in english
    assert "4 h" in english
    korean = web_as(speaking(msp_owner, "ko")).get(url).content.decode()
    assert "계약" in korean
    assert "통합 솔루션 운영" in korean


def test_an_sla_row_with_only_a_first_response_is_refused(msp_owner, client_a, web_as):
    data = _form(client_a, **{"sla-3-first_response_minutes": "480"})
    response = web_as(speaking(msp_owner, "en")).post(
        reverse("contract_create", args=[client_a.pk]), data
    )
    assert response.status_code == 422
    assert "P4: give both the first response and the resolution target" in response.content.decode()
    assert not queries.contracts_visible_to(SYSTEM).filter(client=client_a).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"report_recipients": "cio@hanbit.example, nobody"},
            "report_recipients",
            "is not an email address",
        ),
        ({"end_date": "2025-01-01"}, "end_date", "cannot end before it starts"),
        ({"dpa_signed_on": ""}, "dpa_signed_on", "data processing agreement was signed"),
        ({"calendar": ""}, "calendar", "needs a business calendar"),
        ({"currency": "k1w"}, "currency", "three-letter currency code"),
        ({"services": ["monitoring", "astrology"]}, "services", "astrology"),
    ],
)
def test_contract_errors_are_shown_next_to_their_field(
    msp_owner, client_a, web_as, changes, field, message
):
    response = web_as(speaking(msp_owner, "en")).post(
        reverse("contract_create", args=[client_a.pk]), _form(client_a, **changes)
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in text or f"id_{field}_" in text
    assert message in text


def test_a_calendar_of_another_client_cannot_be_chosen(msp_owner, client_a, client_b, web_as):
    data = _form(client_a, calendar=str(_calendar(client_b).pk))
    response = web_as(msp_owner).post(reverse("contract_create", args=[client_a.pk]), data)
    assert response.status_code == 422
    assert not queries.contracts_visible_to(SYSTEM).filter(client=client_a).exists()


def test_a_contract_is_edited_and_its_sla_targets_replaced(msp_owner, client_a, web_as):
    http = web_as(msp_owner)
    http.post(reverse("contract_create", args=[client_a.pk]), _form(client_a))
    contract = queries.contracts_visible_to(SYSTEM).get(client=client_a)
    edit = reverse("contract_edit", args=[client_a.pk, contract.pk])
    assert "MSA-2026-01" in http.get(edit).content.decode()
    data = _form(
        client_a,
        name="Managed services 2026 (amended)",
        **{
            "sla-1-first_response_minutes": "",
            "sla-1-next_response_minutes": "",
            "sla-1-resolution_minutes": "",
        },
    )
    assert http.post(edit, data).status_code == 302
    contract.refresh_from_db()
    assert contract.name.endswith("(amended)")
    assert sorted(contract.sla_targets.values_list("priority", flat=True)) == ["P1", "P3"]


def test_a_contract_is_deleted(msp_owner, client_a, web_as):
    contract = actions.create_contract(
        actor=SYSTEM,
        client=client_a,
        name="Old",
        start_date=dt.date(2024, 1, 1),
        support_hours="24x7",
    )
    response = web_as(msp_owner).post(reverse("contract_delete", args=[client_a.pk, contract.pk]))
    assert response.status_code == 302
    assert not queries.contracts_visible_to(SYSTEM).filter(pk=contract.pk).exists()


def test_a_client_admin_reads_contracts_but_cannot_change_them(alice, client_a, web_as):
    contract = actions.create_contract(
        actor=SYSTEM,
        client=client_a,
        name="MSA",
        start_date=dt.date(2026, 1, 1),
        support_hours="24x7",
    )
    http = web_as(alice)
    page = http.get(reverse("contract_detail", args=[client_a.pk, contract.pk]))
    assert page.status_code == 200
    assert reverse("contract_edit", args=[client_a.pk, contract.pk]) not in page.content.decode()
    assert http.get(reverse("contract_edit", args=[client_a.pk, contract.pk])).status_code == 403
    assert http.post(reverse("contract_delete", args=[client_a.pk, contract.pk])).status_code == 403


def test_a_client_user_cannot_read_contracts(bob, client_a, web_as):
    contract = actions.create_contract(
        actor=SYSTEM,
        client=client_a,
        name="MSA",
        start_date=dt.date(2026, 1, 1),
        support_hours="24x7",
    )
    assert (
        web_as(bob).get(reverse("contract_detail", args=[client_a.pk, contract.pk])).status_code
        == 403
    )


@pytest.mark.parametrize("persona", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_contracts(request, client_a, web_as, persona):
    contract = actions.create_contract(
        actor=SYSTEM,
        client=client_a,
        name="MSA",
        start_date=dt.date(2026, 1, 1),
        support_hours="24x7",
    )
    http = web_as(request.getfixturevalue(persona))
    for name in ("contract_detail", "contract_edit"):
        assert http.get(reverse(name, args=[client_a.pk, contract.pk])).status_code == 404
    assert http.post(reverse("contract_delete", args=[client_a.pk, contract.pk])).status_code == 404
    assert http.get(reverse("contract_create", args=[client_a.pk])).status_code == 404


def test_the_contracts_tab_runs_a_constant_number_of_queries(
    msp_owner, client_a, web_as, django_assert_max_num_queries
):
    http = web_as(msp_owner)
    url = reverse("client_contracts", args=[client_a.pk])

    def add(count):
        for index in range(count):
            actions.create_contract(
                actor=SYSTEM, client=client_a, name=f"C{index}-{count}", start_date=dt.date(2026, 1, 1),
                support_hours="24x7", sla_targets=[{"priority": "P1", "first_response_minutes": 15, "resolution_minutes": 60}],
            )  # fmt: skip

    add(2)
    http.get(url)
    with django_assert_max_num_queries(15) as few:
        http.get(url)
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        http.get(url)


def test_the_plan_e_mails_the_quarterly_review_only_to_someone(msp_owner, client_a, web_as):
    web = web_as(speaking(msp_owner, "en"))
    url = reverse("contract_create", args=[client_a.pk])
    response = web.post(url, _form(client_a, report_recipients="", qbr_email="on"))
    assert response.status_code == 422
    assert "Name who receives the quarterly review" in response.content.decode()
    response = web.post(
        url,
        _form(client_a, qbr_email="on", qbr_recipients="ceo@hanbit.example", qbr_delay_days="7"),
    )
    assert response.status_code == 302
    contract = queries.contracts_visible_to(SYSTEM).get(client=client_a)
    assert (contract.qbr_email, contract.qbr_recipients, contract.qbr_delay_days) == (
        True, ["ceo@hanbit.example"], 7,
    )  # fmt: skip
    page = web.get(reverse("contract_detail", args=[client_a.pk, contract.pk])).content.decode()
    assert "E-mailed 7 days after the quarter → ceo@hanbit.example" in page
