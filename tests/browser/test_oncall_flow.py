"""On-call, end to end in a real browser: an MSP owner creates a weekly schedule of two
technicians, sees the calendar and who is on call now, adds an override and sees both change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
SEOUL = ZoneInfo("Asia/Seoul")
LOCAL = "%Y-%m-%dT%H:%M"


def test_an_owner_builds_a_schedule_sees_the_calendar_and_an_override_takes_over(
    live_server, browser_page, msp_owner
):
    page, base = browser_page, live_server.url
    kim = make_user("kim@msp.example", Role.TECHNICIAN, full_name="Kim Tech", all_clients=True)
    lee = make_user("lee@msp.example", Role.TECHNICIAN, full_name="Lee Tech", all_clients=True)
    park = make_user("park@msp.example", Role.TECHNICIAN, full_name="Park Tech", all_clients=True)
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)
    now = dt.datetime.now(SEOUL)
    first_hand_off = (now - dt.timedelta(days=1)).replace(hour=9, minute=0)  # week 1: Kim

    page.locator(".shell-nav a", has_text="On-call").click()
    expect(page.locator("main h1")).to_have_text("On-call schedules")
    page.get_by_role("button", name="New schedule").click()
    page.fill("#id_name", "NOC primary")
    page.select_option("#id_kind", "weekly")
    page.fill("#id_start", first_hand_off.strftime(LOCAL))
    page.select_option("#id_member_0", str(kim.pk))
    page.select_option("#id_member_1", str(lee.pk))
    page.get_by_role("button", name="Save").click()

    expect(page.locator("main h1")).to_contain_text("NOC primary")
    expect(page.get_by_test_id("oncall-now")).to_have_text("Kim Tech")
    calendar = page.locator("#oncall-calendar")
    final = calendar.locator('[data-row="final"] .oncall-bar')
    expect(calendar.locator('[data-row="layer"] .oncall-bar[data-person="Kim Tech"]')).not_to_have_count(0)  # fmt: skip
    expect(calendar.locator('[data-row="final"] .oncall-bar[data-person="Lee Tech"]')).not_to_have_count(0)  # fmt: skip
    expect(final.first).to_have_attribute("data-person", "Kim Tech")
    _assert_bars_tile_the_track(page)

    # Park covers from an hour ago for three hours.
    page.select_option("#id_user", str(park.pk))
    page.fill("#id_start", (now - dt.timedelta(hours=1)).strftime(LOCAL))
    page.fill("#id_end", (now + dt.timedelta(hours=2)).strftime(LOCAL))
    page.fill("#id_reason", "Kim at the dentist")
    page.get_by_role("button", name="Add override").click()

    expect(page.get_by_test_id("oncall-now")).to_have_text("Park Tech")
    expect(page.locator("#oncall-current .badge")).to_have_text("override")
    override_bar = calendar.locator('[data-row="final"] .oncall-bar.oncall-override')
    expect(override_bar).to_have_count(1)
    expect(override_bar).to_have_attribute("data-person", "Park Tech")
    expect(page.locator("#override-table")).to_contain_text("Kim at the dentist")
    _assert_bars_tile_the_track(page)

    page.locator(".shell-nav a", has_text="Dashboard").click()
    expect(page.locator("#oncall-now")).to_contain_text("Park Tech")


def _assert_bars_tile_the_track(page) -> None:
    """The final row's bars sit side by side across the whole track (drawn, not just listed)."""
    expect(page.locator("#oncall-calendar")).to_have_attribute("data-placed", "true")
    track = page.locator('#oncall-calendar [data-row="final"] .oncall-track').bounding_box()
    boxes = [
        b.bounding_box()
        for b in page.locator('#oncall-calendar [data-row="final"] .oncall-bar').all()
    ]
    assert track is not None
    assert all(b is not None for b in boxes)
    lefts = [b["x"] for b in boxes if b]
    assert lefts == sorted(lefts)
    assert len(set(lefts)) == len(lefts), "bars overlap: not positioned"
    right = max(b["x"] + b["width"] for b in boxes if b)
    assert abs(right - (track["x"] + track["width"])) < 2, (right, track)
