"""The business-calendar editor: working intervals, special days and the preview panel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from openmsp.core.actor import Actor
from openmsp.tenants import actions, queries
from openmsp.web.testing import compiled_translations, hx, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


def _form(name="Support hours", time_zone="Asia/Seoul", rows=(), **extra):
    data = {
        "name": name,
        "time_zone": time_zone,
        "holiday_country": "KR",
        "holiday_subdivision": "",
        "intervals-TOTAL_FORMS": str(len(rows) + 1),
        "intervals-INITIAL_FORMS": "0",
        "intervals-MIN_NUM_FORMS": "0",
        "intervals-MAX_NUM_FORMS": "1000",
        f"intervals-{len(rows)}-weekday": "0",  # the spare row a browser submits untouched
    }
    for index, (day, start, end) in enumerate(rows):
        data |= {
            f"intervals-{index}-weekday": str(day),
            f"intervals-{index}-start": start,
            f"intervals-{index}-end": end,
        }
    return data | extra


LUNCH_BREAK = [(d, s, e) for d in range(5) for s, e in (("09:00", "12:00"), ("13:00", "18:00"))]


def _calendar(client):
    return queries.calendars_visible_to(SYSTEM).filter(client=client).first()


def test_the_owner_creates_a_calendar_with_a_lunch_break(msp_owner, client_a, web_as):
    response = web_as(msp_owner).post(
        reverse("calendar_create", args=[client_a.pk]), _form(rows=LUNCH_BREAK)
    )
    calendar = queries.calendars_visible_to(SYSTEM).get(client=client_a, name="Support hours")
    assert response.status_code == 302
    assert response["Location"] == reverse("calendar_detail", args=[calendar.pk])
    monday = [(i.start_minute, i.end_minute) for i in calendar.intervals.filter(weekday=0)]
    assert monday == [(540, 720), (780, 1080)]


def test_the_new_calendar_form_starts_from_office_hours_with_a_lunch_break(
    msp_owner, client_a, web_as
):
    text = web_as(msp_owner).get(reverse("calendar_create", args=[client_a.pk])).content.decode()
    assert 'value="12:00"' in text
    assert 'value="13:00"' in text
    assert 'id="intervals-empty"' in text
    assert "data-formset-add" in text


def test_overlapping_intervals_show_the_error_from_the_action(msp_owner, client_a, web_as):
    rows = [(0, "09:00", "12:00"), (0, "11:00", "13:00")]
    response = web_as(speaking(msp_owner, "en")).post(
        reverse("calendar_create", args=[client_a.pk]), _form(rows=rows)
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert 'id="intervals-error"' in text
    assert "Monday 09:00–12:00 overlaps 11:00–13:00" in text
    assert not queries.calendars_visible_to(SYSTEM).filter(name="Support hours").exists()


def test_a_bad_time_zone_is_refused_in_both_languages(msp_owner, client_a, web_as):
    data = _form(time_zone="Seoul", rows=LUNCH_BREAK)
    english = web_as(speaking(msp_owner, "en")).post(
        reverse("calendar_create", args=[client_a.pk]), data
    )
    assert english.status_code == 422
    assert "“Seoul” is not a time zone" in english.content.decode()
    korean = web_as(speaking(msp_owner, "ko")).post(
        reverse("calendar_create", args=[client_a.pk]), data
    )
    assert "“Seoul”" in korean.content.decode()
    assert "시간대" in korean.content.decode()


def test_a_malformed_time_is_shown_on_its_row(msp_owner, client_a, web_as):
    response = web_as(speaking(msp_owner, "en")).post(
        reverse("calendar_create", args=[client_a.pk]), _form(rows=[(0, "9am", "18:00")])
    )
    assert response.status_code == 422
    assert "“9am” is not a time of day" in response.content.decode()


def test_an_unknown_holiday_region_is_shown_next_to_its_field(msp_owner, client_a, web_as):
    response = web_as(speaking(msp_owner, "en")).post(
        reverse("calendar_create", args=[client_a.pk]),
        _form(rows=LUNCH_BREAK, holiday_subdivision="ZZ"),
    )
    assert response.status_code == 422
    assert 'id="id_holiday_subdivision_error"' in response.content.decode()


def test_editing_replaces_the_intervals_and_removes_ticked_rows(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    data = _form(name=calendar.name, rows=[(0, "09:00", "18:00"), (5, "10:00", "14:00")])
    data["intervals-1-DELETE"] = "on"
    response = web_as(msp_owner).post(reverse("calendar_edit", args=[calendar.pk]), data)
    assert response.status_code == 302
    saved = _calendar(client_a).intervals.all()  # fetched afresh: the first fetch prefetched them
    assert [(i.weekday, i.start_minute, i.end_minute) for i in saved] == [(0, 540, 1080)]


def test_a_24x7_calendar_needs_no_intervals(msp_owner, web_as):
    data = _form(name="Around the clock", rows=[], always_open="on")
    response = web_as(msp_owner).post(reverse("shared_calendar_create"), data)
    calendar = queries.calendars_visible_to(SYSTEM).get(name="Around the clock")
    assert response.status_code == 302
    assert calendar.client is None
    assert calendar.always_open


@time_machine.travel(dt.datetime(2026, 2, 13, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_preview_lists_working_periods_in_the_viewers_time_zone_and_holidays_by_name(
    msp_owner, client_a, web_as
):
    calendar = _calendar(client_a)  # Mon-Fri 09:00-12:00, 13:00-18:00 Seoul
    owner = speaking(msp_owner, "ko")
    type(owner).objects.filter(pk=owner.pk).update(time_zone="Europe/Berlin")
    korean = web_as(owner).get(reverse("calendar_detail", args=[calendar.pk])).content.decode()
    # Friday 13 Feb 2026, 18:00 Seoul is 09:00 UTC = 10:00 Berlin: the day is over; 설날 closes
    # 16-18 Feb, so the next period opens Thursday 19 Feb 09:00 Seoul = 01:00 Berlin.
    assert "2026-02-19" in korean
    assert "01:00–04:00" in korean
    assert "설날" in korean
    assert "삼일절" in korean
    assert "Europe/Berlin" in korean
    speaking(owner, "en")
    english = web_as(owner).get(reverse("calendar_detail", args=[calendar.pk])).content.decode()
    assert "Korean New Year" in english
    assert "Independence Movement Day" in english


def test_the_calculator_counts_working_minutes_between_two_times(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    response = web_as(speaking(msp_owner, "en")).get(
        reverse("calendar_compute", args=[calendar.pk]),
        {"operation": "between", "start": "2026-03-03T11:00", "end": "2026-03-03T14:00"},
        headers=hx(),
    )
    assert response.status_code == 200
    assert "120 working minutes" in response.content.decode()  # 11-12 and 13-14


def test_the_calculator_adds_working_minutes_across_the_lunch_break(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    response = web_as(speaking(msp_owner, "en")).get(
        reverse("calendar_compute", args=[calendar.pk]),
        {"operation": "add", "start": "2026-03-03T11:30", "minutes": "60"},
        headers=hx(),
    )
    assert "2026-03-03" in response.content.decode()
    assert "13:30" in response.content.decode()


def test_the_calculator_asks_for_the_missing_value(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    response = web_as(speaking(msp_owner, "en")).get(
        reverse("calendar_compute", args=[calendar.pk]),
        {"operation": "add", "start": "2026-03-03T11:30"},
        headers=hx(),
    )
    assert response.status_code == 422
    assert "Give N" in response.content.decode()


def holiday_rows(page: str) -> dict[str, str]:
    table = page.split('<table class="holidays">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in table.split("<tr>")[1:]:
        day, name = (cell.split("</td>", 1)[0] for cell in row.split("<td")[1:3])
        rows[day.split(">", 1)[1][:10]] = name.split(">", 1)[1]
    return rows


def test_the_holiday_list_names_the_clients_own_closed_days(
    msp_owner, client_a, web_as, time_machine
):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    calendar = _calendar(client_a)
    for date, name, yearly in [
        (dt.date(2026, 4, 1), "창립기념일", True),
        (dt.date(2026, 6, 2), "임시공휴일 (사내)", False),
    ]:
        actions.add_special_day(
            actor=SYSTEM, calendar=calendar, date=date, name=name, recurs_yearly=yearly
        )

    page = web_as(msp_owner).get(reverse("calendar_detail", args=[calendar.pk])).content.decode()
    rows = holiday_rows(page)

    assert rows["2026-04-01"] == "창립기념일"
    assert rows["2026-06-02"] == "임시공휴일 (사내)"  # one-off: not repeated in 2027
    assert rows["2026-06-03"] == "지방선거일"  # public holidays keep the library's name
    assert rows["2026-03-02"] == "삼일절 대체 휴일"


def test_the_calculator_refuses_b_before_a_instead_of_answering_zero(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    response = web_as(speaking(msp_owner, "en")).get(
        reverse("calendar_compute", args=[calendar.pk]),
        {"operation": "between", "start": "2026-03-03T14:00", "end": "2026-03-03T11:00"},
        headers=hx(),
    )
    assert response.status_code == 422
    assert "B must not be before A." in response.content.decode()


def test_special_days_are_added_inline_and_removed(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    http = web_as(speaking(msp_owner, "en"))
    url = reverse("special_day_create", args=[calendar.pk])
    assert 'name="recurs_yearly"' in http.get(url, headers=hx()).content.decode()
    response = http.post(
        url,
        {"date": "2026-04-01", "name": "Founding day", "kind": "closed", "recurs_yearly": "on"},
        headers=hx(),
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#special-days"
    assert "Founding day" in response.content.decode()
    day = calendar.special_days.get()
    assert day.recurs_yearly
    again = http.post(url, {"date": "2026-04-01", "name": "Twice", "kind": "closed"}, headers=hx())
    assert again.status_code == 422
    assert "already has a special day" in again.content.decode()
    removed = http.post(reverse("special_day_delete", args=[calendar.pk, day.pk]), headers=hx())
    assert removed.status_code == 200
    assert not calendar.special_days.exists()


def test_a_calendar_used_by_a_contract_cannot_be_deleted(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA", start_date=dt.date(2026, 1, 1), calendar=calendar
    )
    response = web_as(speaking(msp_owner, "en")).post(
        reverse("calendar_delete", args=[calendar.pk]), follow=True
    )
    assert "Contracts still use this calendar" in response.content.decode()
    assert queries.calendars_visible_to(SYSTEM).filter(pk=calendar.pk).exists()


def test_an_unused_calendar_is_deleted(msp_owner, client_a, web_as):
    calendar = _calendar(client_a)
    response = web_as(msp_owner).post(reverse("calendar_delete", args=[calendar.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("client_calendars", args=[client_a.pk])


def test_a_client_admin_reads_the_calendar_without_edit_buttons(alice, client_a, web_as):
    calendar = _calendar(client_a)
    http = web_as(alice)
    page = http.get(reverse("calendar_detail", args=[calendar.pk]))
    assert page.status_code == 200
    assert reverse("calendar_edit", args=[calendar.pk]) not in page.content.decode()
    assert http.get(reverse("calendar_edit", args=[calendar.pk])).status_code == 403
    assert http.get(reverse("calendar_create", args=[client_a.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_calendars(request, client_a, web_as, persona):
    calendar = _calendar(client_a)
    day = actions.add_special_day(
        actor=SYSTEM, calendar=calendar, date=dt.date(2026, 4, 1), name="Founding day"
    )
    http = web_as(request.getfixturevalue(persona))
    for name in ("calendar_detail", "calendar_edit", "special_day_create"):
        assert http.get(reverse(name, args=[calendar.pk])).status_code == 404, name
    assert (
        http.get(
            reverse("calendar_compute", args=[calendar.pk]), {"operation": "between"}
        ).status_code
        == 404
    )
    assert http.post(reverse("calendar_delete", args=[calendar.pk])).status_code == 404
    assert http.post(reverse("special_day_delete", args=[calendar.pk, day.pk])).status_code == 404


def test_client_users_do_not_see_msp_wide_calendars(alice, web_as):
    shared = actions.create_calendar(actor=SYSTEM, client=None, name="MSP 24x7", always_open=True)
    assert web_as(alice).get(reverse("calendar_detail", args=[shared.pk])).status_code == 404


def test_the_calendar_list_runs_a_constant_number_of_queries(
    msp_owner, web_as, django_assert_max_num_queries
):
    http = web_as(msp_owner)
    for index in range(3):
        actions.create_client(actor=SYSTEM, name=f"Small {index}", code=f"small-{index}")
    http.get(reverse("calendar_list"))
    with django_assert_max_num_queries(12) as few:
        http.get(reverse("calendar_list"))
    for index in range(20):
        actions.create_client(actor=SYSTEM, name=f"Large {index}", code=f"large-{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        http.get(reverse("calendar_list"))
