"""The foundation, end to end in a real browser: an MSP owner signs in with a password and a TOTP
code, works in Korean, sets up a client with a contract and a business calendar; a user of another
client sees only their own company."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from openmsp.accounts import actions as account_actions
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.tenants import queries
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
PASSWORD = "correct-horse-battery-42"
SYSTEM = Actor.system("test")


def sign_in(page: Page, base: str, email: str, *, device: TOTPDevice | None = None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    if device is not None:
        expect(page).to_have_url(re.compile(r"/accounts/login/otp/"))
        page.fill("input[name=otp_token]", f"{totp(device.bin_key):06d}")
        page.click("#verify")
    expect(page.locator("header.shell-header")).to_be_visible()


def test_an_msp_owner_signs_in_with_totp_works_in_korean_and_sets_up_a_client(
    live_server, browser_page, msp_owner
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    device = TOTPDevice.objects.create(user=msp_owner, name="phone", confirmed=True)

    sign_in(page, base, msp_owner.email, device=device)
    expect(page.locator("main h1")).to_have_text("Dashboard")

    # Switch the interface to Korean from the user menu.
    page.get_by_test_id("user-menu").click()
    page.locator("button.lang-option[value=ko]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("main h1")).to_have_text("대시보드")

    # A new client.
    page.locator(".shell-nav a", has_text="고객사").click()
    page.get_by_role("button", name="새 고객사").click()
    page.fill("#id_name", "다온리테일")
    page.fill("#id_code", "daon")
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page.locator("main h1")).to_contain_text("다온리테일")
    client = queries.clients_visible_to(SYSTEM).get(code="daon")

    # A site, added with the inline htmx form of the sites tab.
    page.get_by_role("tab", name="사이트").click()
    page.get_by_role("button", name="사이트 추가").click()
    page.locator("#form-slot #id_name").fill("본사")
    page.locator("#form-slot").get_by_role("button", name="저장").click()
    expect(page.locator("#tab-panel table")).to_contain_text("본사")
    expect(page.locator("#tab-panel")).to_contain_text("사이트를 추가했습니다.")

    # A contract with SLA targets, reached through the htmx tab.
    page.get_by_role("tab", name="계약").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/contracts/$"))
    page.get_by_role("button", name="새 계약").click()
    page.fill("#id_name", "통합 운영 계약 2026")
    for row, (first, nxt, resolution) in enumerate(
        [(15, 60, 240), (30, 120, 480), (120, 480, 1440), (480, "", 4800)]
    ):
        page.fill(f"#id_sla-{row}-first_response_minutes", str(first))
        page.fill(f"#id_sla-{row}-next_response_minutes", str(nxt))
        page.fill(f"#id_sla-{row}-resolution_minutes", str(resolution))
    page.check("#id_sla-0-always_open")
    page.check("input[name=services][value=integration_ops]")
    page.fill("#id_report_recipients", "cio@daon.example, ops@daon.example")
    page.get_by_role("button", name="계약 저장").click()
    expect(page.locator("main h1")).to_have_text("통합 운영 계약 2026")
    expect(page.locator(".sla-table")).to_contain_text("P1")
    expect(page.locator("main")).to_contain_text("SLA 목표")
    contract = queries.contracts_visible_to(SYSTEM).get(client=client)
    assert sorted(contract.sla_targets.values_list("priority", flat=True)) == [
        "P1",
        "P2",
        "P3",
        "P4",
    ]

    # A business calendar with a lunch break, plus Saturday mornings added as a new row.
    page.goto(f"{base}/clients/{client.pk}/")
    page.get_by_role("tab", name="영업일 달력").click()
    page.get_by_role("button", name="새 달력").click()
    page.fill("#id_name", "지원 시간")
    rows = page.locator("#intervals-rows tr.interval-row")
    before = rows.count()
    page.get_by_role("button", name="구간 추가").click()
    expect(rows).to_have_count(before + 1)
    page.select_option(f"#id_intervals-{before}-weekday", "5")
    page.fill(f"#id_intervals-{before}-start", "09:00")
    page.fill(f"#id_intervals-{before}-end", "13:00")
    page.get_by_role("button", name="달력 저장").click()
    expect(page.locator("main h1")).to_contain_text("지원 시간")
    expect(page.locator(".week-grid")).to_contain_text("12:00")
    expect(page.locator(".preview")).to_contain_text("공휴일")
    calendar = queries.calendars_visible_to(SYSTEM).get(client=client, name="지원 시간")
    intervals = {(i.weekday, i.start_minute, i.end_minute) for i in calendar.intervals.all()}
    assert {(0, 540, 720), (0, 780, 1080), (5, 540, 780)} <= intervals

    # The client in the list, with Korean labels.
    page.locator(".shell-nav a", has_text="고객사").click()
    expect(page.locator("main h1")).to_have_text("고객사")
    expect(page.locator("#client-table")).to_contain_text("다온리테일")
    expect(page.locator("#client-table th", has_text="상태")).to_be_visible()


def test_a_user_of_another_client_sees_only_their_own_client(
    live_server, browser_page, client_a, client_b
):
    page, base = browser_page, live_server.url
    dana = account_actions.invite_user(
        actor=SYSTEM,
        email="dana@saebom.example",
        role=Role.CLIENT_USER,
        client=client_b,
        password=PASSWORD,
    )
    sign_in(page, base, dana.email)
    page.goto(f"{base}/clients/")
    expect(page.locator("#client-table")).to_contain_text("Saebom Pharma")
    expect(page.locator("body")).not_to_contain_text("Hanbit Logistics")
    response = page.goto(f"{base}/clients/{client_a.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("찾을 수 없습니다")
