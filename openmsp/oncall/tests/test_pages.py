"""The on-call pages: list with "on call now", the calendar, the forms, in en and ko."""

from __future__ import annotations

import datetime as dt

import pytest

from openmsp.core.actor import Actor
from openmsp.oncall import actions
from openmsp.oncall.models import Override, Schedule
from openmsp.oncall.tests.conftest import make_schedule
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

SYSTEM = Actor.system("test")
TUESDAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _tuesday(time_machine):
    time_machine.move_to(TUESDAY, tick=False)


@pytest.fixture(autouse=True)
def _english(msp_owner):
    speaking(msp_owner, "en")


@pytest.fixture
def noc(kim, lee):
    return make_schedule(kim, lee)


def test_the_list_and_the_dashboard_show_who_is_on_call_now(web_as, msp_owner, noc, kim):
    http = web_as(msp_owner)
    page = http.get("/oncall/").content.decode()
    assert "NOC" in page
    assert "Kim Tech" in page
    assert "Kim Tech" in http.get("/").content.decode()


def test_the_schedule_page_draws_each_layer_and_the_final_row(web_as, msp_owner, noc):
    body = web_as(msp_owner).get(f"/oncall/{noc.pk}/?weeks=3").content.decode()
    assert body.count('data-row="layer"') == 1
    assert body.count('data-row="final"') == 1
    # Today 00:00 KST to 3 weeks later: kim until Monday 09:00, then lee, then kim again.
    assert body.count('data-person="Kim Tech"') == 2 * 2  # layer row + final row
    assert body.count('data-person="Lee Tech"') == 2 * 2  # Dec 7-14 and Dec 21-22


def test_a_schedule_with_a_gap_shows_it(web_as, msp_owner, kim):
    office = actions.create_schedule(
        actor=SYSTEM,
        name="Office",
        layers=[{"kind": "weekly", "start": TUESDAY - dt.timedelta(days=1), "members": [kim],
                 "restrictions": [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}]}],
    )  # fmt: skip
    body = web_as(msp_owner).get(f"/oncall/{office.pk}/").content.decode()
    assert "oncall-gap" in body
    assert "Nobody is on call right now." in body  # 18:00 KST on a Tuesday


def test_staff_create_a_schedule_and_add_an_override_through_the_forms(
    web_as, msp_owner, kim, lee, park
):
    http = web_as(msp_owner)
    response = http.post("/oncall/new/", {
        "name": "Night", "time_zone": "Asia/Seoul", "kind": "daily",
        "start": "2026-11-30T18:00", "member_0": kim.pk, "member_1": lee.pk,
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = Schedule.objects.get(name="Night")
    assert [m.user_id for m in schedule.layers.get().members.all()] == [kim.pk, lee.pk]
    response = http.post(f"/oncall/{schedule.pk}/overrides/new/", {
        "user": park.pk, "start": "2026-12-01T17:00", "end": "2026-12-01T22:00", "reason": "swap",
    })  # fmt: skip
    assert response.status_code == 302
    assert Override.objects.get().start == dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    assert (
        'data-testid="oncall-now">Park Tech' in http.get(f"/oncall/{schedule.pk}/").content.decode()
    )


def test_a_bad_override_is_shown_on_the_form(web_as, msp_owner, noc, park):
    response = web_as(msp_owner).post(f"/oncall/{noc.pk}/overrides/new/", {
        "user": park.pk, "start": "2026-12-01T17:00", "end": "2026-12-01T16:00",
    })  # fmt: skip
    assert response.status_code == 422
    assert "The override must end after it starts." in response.content.decode()


def test_a_layer_can_be_added_on_top(web_as, msp_owner, noc, park):
    response = web_as(msp_owner).post(f"/oncall/{noc.pk}/layers/new/", {
        "kind": "weekly", "start": "2026-11-30T09:00", "member_0": park.pk,
        "weekdays": ["5", "6"], "window_start": "00:00", "window_end": "23:59",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    assert noc.layers.count() == 2
    assert noc.layers.get(position=0).members.count() == 2


def test_client_users_are_refused(web_as, alice, noc):
    http = web_as(alice)
    assert http.get("/oncall/").status_code == 403
    assert http.get(f"/oncall/{noc.pk}/").status_code == 404
    assert http.post(f"/oncall/{noc.pk}/delete/").status_code == 404
    assert "On-call" not in http.get("/").content.decode()


@pytest.mark.usefixtures("compiled_translations")
def test_the_pages_speak_korean(web_as, msp_owner, noc):
    http = web_as(speaking(msp_owner, "ko"))
    assert "당번" in http.get("/oncall/").content.decode()
    assert "최종" in http.get(f"/oncall/{noc.pk}/").content.decode()
