"""Business calendars over the API: visibility, intervals as HH:MM, special days, and the
working-time arithmetic SLA clocks rely on (Korean holidays included)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions
from openmsp.tenants.models import BusinessCalendar, SpecialDay

SYSTEM = Actor.system("test")
JSON = "application/json"
WEEKDAYS_9_TO_6 = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]


@pytest.fixture
def hours(client_a):
    """Client A's calendar: Mon-Fri 09:00-12:00 and 13:00-18:00, Seoul, Korean holidays."""
    return BusinessCalendar.objects.get(client=client_a)


@pytest.fixture
def msp_wide(db):
    return actions.create_calendar(
        actor=SYSTEM, client=None, name="MSP 24x7", always_open=True, time_zone="UTC"
    )


@pytest.fixture
def founding_day(hours):
    return actions.add_special_day(
        actor=SYSTEM, calendar=hours, date=dt.date(2026, 3, 10), name="Founding day"
    )


def names(response):
    assert response.status_code == 200, response.content
    return sorted(c["name"] for c in response.json()["items"])


# --- Visibility ---------------------------------------------------------------------------------


def test_msp_staff_see_msp_wide_calendars_and_those_of_their_clients(
    msp_owner, tech_b, client_a, client_b, msp_wide, api_as
):
    a, b = (BusinessCalendar.objects.get(client=c).name for c in (client_a, client_b))
    assert names(api_as(msp_owner).get("/api/v1/calendars")) == sorted([a, b, "MSP 24x7"])
    assert names(api_as(tech_b).get("/api/v1/calendars")) == sorted([b, "MSP 24x7"])


def test_a_client_admin_sees_only_her_clients_calendars(
    alice, client_a, client_b, msp_wide, api_as
):
    http = api_as(alice)
    assert names(http.get("/api/v1/calendars")) == [
        BusinessCalendar.objects.get(client=client_a).name
    ]
    assert http.get(f"/api/v1/calendars/{msp_wide.pk}").status_code == 404


def test_calendars_are_filtered_by_client_and_by_msp_wide(
    msp_owner, client_a, client_b, msp_wide, api_as
):
    http = api_as(msp_owner)
    assert names(http.get("/api/v1/calendars?msp_wide=true")) == ["MSP 24x7"]
    mine = http.get(f"/api/v1/calendars?client_id={client_a.pk}").json()["items"]
    assert [c["client_id"] for c in mine] == [client_a.pk]


def test_the_calendar_list_runs_the_same_number_of_queries_for_1_and_20_calendars(
    msp_owner, api_as
):
    def add(n: int) -> None:
        actions.create_calendar(
            actor=SYSTEM, client=None, name=f"Cal {n}", intervals=[(0, 540, 1080)]
        )

    http = api_as(msp_owner)
    add(0)
    http.get("/api/v1/calendars")
    with CaptureQueriesContext(connection) as one:
        assert http.get("/api/v1/calendars").json()["count"] == 1
    for n in range(1, 20):
        add(n)
    with CaptureQueriesContext(connection) as twenty:
        assert http.get("/api/v1/calendars").json()["count"] == 20
    assert len(twenty) == len(one)


# --- Create, change, delete ---------------------------------------------------------------------


def test_the_msp_owner_creates_an_msp_wide_calendar_with_hh_mm_intervals(msp_owner, api_as):
    response = api_as(msp_owner).post(
        "/api/v1/calendars",
        {"name": "Night shift", "time_zone": "Asia/Seoul", "intervals": [
            {"weekday": 0, "start": "22:00", "end": "24:00"},
            {"weekday": 1, "start": "0:00", "end": "06:00"},
        ]},
        content_type=JSON,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_id"] is None
    assert body["intervals"] == [
        {"weekday": 0, "start": "22:00", "end": "24:00"},
        {"weekday": 1, "start": "00:00", "end": "06:00"},
    ]
    assert AuditRecord.objects.filter(action="calendar.created", object_id=str(body["id"])).exists()


def test_a_calendar_for_a_client_the_actor_cannot_see_is_refused_naming_client_id(
    tech_b, client_a, api_as
):
    response = api_as(tech_b).post(
        "/api/v1/calendars",
        {"name": "X", "client_id": client_a.pk, "intervals": WEEKDAYS_9_TO_6},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "client_id"


def test_a_client_admin_may_not_create_calendars(alice, client_a, api_as):
    response = api_as(alice).post(
        "/api/v1/calendars",
        {"name": "Ours", "client_id": client_a.pk, "intervals": WEEKDAYS_9_TO_6},
        content_type=JSON,
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"time_zone": "Asia/Gangnam"}, "time_zone", "Asia/Gangnam"),
        ({"intervals": [{"weekday": 0, "start": "09:00", "end": "12:00"},
                        {"weekday": 0, "start": "11:30", "end": "13:00"}]}, "intervals", "overlaps"),
        ({"intervals": [{"weekday": 0, "start": "9am", "end": "12:00"}]}, "intervals.0.start", "HH:MM"),
        ({"intervals": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "intervals.0.weekday", ""),
        ({"intervals": [{"weekday": 0, "start": "18:00", "end": "09:00"}]}, "intervals", "midnight"),
        ({"intervals": []}, "intervals", "no working hours"),
        ({"holidays": "KR"}, "holidays", ""),
    ],
)  # fmt: skip
def test_an_invalid_calendar_is_refused_naming_the_field(msp_owner, change, field, words, api_as):
    body = {"name": "Bad", "intervals": WEEKDAYS_9_TO_6, **change}
    response = api_as(msp_owner).post("/api/v1/calendars", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert not BusinessCalendar.objects.filter(name="Bad").exists()


def test_a_patch_replaces_the_intervals_and_audits_before_and_after(msp_owner, hours, api_as):
    response = api_as(msp_owner).patch(
        f"/api/v1/calendars/{hours.pk}", {"intervals": WEEKDAYS_9_TO_6}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["intervals"] == WEEKDAYS_9_TO_6
    record = AuditRecord.objects.filter(action="calendar.updated").latest("seq")
    assert record.before is not None
    assert record.after is not None
    assert [0, 540, 720] in record.before["intervals"]
    assert record.after["intervals"][0] == [0, 540, 1080]


def test_a_patch_can_turn_off_public_holidays(msp_owner, hours, api_as):
    response = api_as(msp_owner).patch(
        f"/api/v1/calendars/{hours.pk}", {"holiday_country": None}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["holiday_country"] == ""


def test_a_calendar_that_contracts_use_cannot_be_deleted(msp_owner, client_a, hours, api_as):
    actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA", start_date=dt.date(2026, 1, 1), calendar=hours
    )
    response = api_as(msp_owner).delete(f"/api/v1/calendars/{hours.pk}")
    assert response.status_code == 409
    assert "Contracts" in response.json()["detail"]


def test_an_unused_calendar_is_deleted_and_audited(msp_owner, msp_wide, api_as):
    assert api_as(msp_owner).delete(f"/api/v1/calendars/{msp_wide.pk}").status_code == 204
    assert AuditRecord.objects.filter(
        action="calendar.deleted", object_id=str(msp_wide.pk)
    ).exists()


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_calendars(request, outsider, hours, founding_day, api_as):
    http = api_as(request.getfixturevalue(outsider))
    base = f"/api/v1/calendars/{hours.pk}"
    assert http.get(base).status_code == 404
    assert http.patch(base, {"name": "x"}, content_type=JSON).status_code == 404
    assert http.delete(base).status_code == 404
    assert http.get(base + "/special-days").status_code == 404
    assert http.get(base + "/preview").status_code == 404
    assert http.delete(f"/api/v1/special-days/{founding_day.pk}").status_code == 404
    assert SpecialDay.objects.filter(pk=founding_day.pk).exists()


# --- Special days -------------------------------------------------------------------------------


def test_special_days_are_added_listed_and_removed_with_audit_records(msp_owner, hours, api_as):
    http = api_as(msp_owner)
    url = f"/api/v1/calendars/{hours.pk}/special-days"
    added = http.post(
        url,
        {"date": "2026-05-15", "name": "Founding day", "recurs_yearly": True},
        content_type=JSON,
    )
    assert added.status_code == 201, added.content
    assert added.json()["kind"] == "closed"
    listed = http.get(url).json()
    assert [d["name"] for d in listed["items"]] == ["Founding day"]
    day_id = added.json()["id"]
    assert http.delete(f"/api/v1/special-days/{day_id}").status_code == 204
    assert http.get(url).json()["count"] == 0
    actions_seen = set(
        AuditRecord.objects.filter(
            object_type="tenants.specialday", object_id=str(day_id)
        ).values_list("action", flat=True)
    )
    assert actions_seen == {"calendar.special_day_added", "calendar.special_day_removed"}


def test_special_days_filter_by_kind_and_date_and_order_by_name(alice, hours, api_as):
    for date, name, kind in [
        (dt.date(2026, 3, 10), "Founding day", "closed"),
        (dt.date(2026, 5, 2), "Inventory Saturday", "open"),
        (dt.date(2026, 10, 2), "Temporary holiday", "closed"),
    ]:
        actions.add_special_day(actor=SYSTEM, calendar=hours, date=date, name=name, kind=kind)
    url = f"/api/v1/calendars/{hours.pk}/special-days"
    http = api_as(alice)

    closed = http.get(url, {"kind": "closed", "ordering": "-name"}).json()
    after_may = http.get(url, {"since": "2026-05-01", "until": "2026-09-30"}).json()
    bad = http.get(url, {"kind": "holiday"})

    assert [d["name"] for d in closed["items"]] == ["Temporary holiday", "Founding day"]
    assert [d["name"] for d in after_may["items"]] == ["Inventory Saturday"]
    assert bad.status_code == 422
    assert bad.json()["field"] == "kind"


def test_a_second_special_day_on_the_same_date_is_a_conflict(
    msp_owner, hours, founding_day, api_as
):
    response = api_as(msp_owner).post(
        f"/api/v1/calendars/{hours.pk}/special-days",
        {"date": "2026-03-10", "name": "Again"},
        content_type=JSON,
    )
    assert response.status_code == 409


def test_a_special_day_with_a_bad_date_is_refused_naming_date(msp_owner, hours, api_as):
    response = api_as(msp_owner).post(
        f"/api/v1/calendars/{hours.pk}/special-days",
        {"date": "2026-02-30", "name": "Nope"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "date"


def test_a_client_admin_reads_special_days_but_may_not_add_them(alice, hours, founding_day, api_as):
    http = api_as(alice)
    assert http.get(f"/api/v1/calendars/{hours.pk}/special-days").json()["count"] == 1
    response = http.post(
        f"/api/v1/calendars/{hours.pk}/special-days",
        {"date": "2026-06-01", "name": "Ours"},
        content_type=JSON,
    )
    assert response.status_code == 403
    assert http.delete(f"/api/v1/special-days/{founding_day.pk}").status_code == 403


# --- Working-time arithmetic --------------------------------------------------------------------


def test_the_preview_skips_seollal_and_starts_on_the_next_working_morning(bob, hours, api_as):
    # 2026-02-16..18 is 설날 (Korean New Year): the first working period is Thursday the 19th.
    response = api_as(bob).get(
        f"/api/v1/calendars/{hours.pk}/preview?start=2026-02-16T08:00:00%2B09:00&count=3"
    )
    assert response.status_code == 200, response.content
    periods = response.json()["periods"]
    assert [(p["local_start"], p["local_end"]) for p in periods] == [
        ("2026-02-19T09:00:00+09:00", "2026-02-19T12:00:00+09:00"),
        ("2026-02-19T13:00:00+09:00", "2026-02-19T18:00:00+09:00"),
        ("2026-02-20T09:00:00+09:00", "2026-02-20T12:00:00+09:00"),
    ]
    assert periods[0]["start"] == "2026-02-19T00:00:00Z"
    assert response.json()["time_zone"] == "Asia/Seoul"


def test_the_preview_skips_a_client_closed_day(alice, hours, founding_day, api_as):
    response = api_as(alice).get(
        f"/api/v1/calendars/{hours.pk}/preview?start=2026-03-10T00:00:00%2B09:00&count=1"
    )
    assert response.json()["periods"][0]["local_start"] == "2026-03-11T09:00:00+09:00"


def test_working_minutes_count_only_working_time(alice, hours, api_as):
    # Monday 2026-03-09 08:00 to 20:00 Seoul: 09-12 and 13-18 work, 480 minutes.
    response = api_as(alice).get(
        f"/api/v1/calendars/{hours.pk}/working-minutes"
        "?start=2026-03-09T08:00:00%2B09:00&end=2026-03-09T11:00:00Z"
    )
    assert response.status_code == 200, response.content
    assert response.json()["minutes"] == 480


def test_adding_minutes_carries_over_to_the_next_working_morning(alice, hours, api_as):
    response = api_as(alice).get(
        f"/api/v1/calendars/{hours.pk}/add-minutes?start=2026-03-09T17:30:00%2B09:00&minutes=60"
    )
    assert response.status_code == 200, response.content
    assert response.json()["end"] == "2026-03-10T00:30:00Z"
    assert response.json()["local_end"] == "2026-03-10T09:30:00+09:00"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("add-minutes?start=2026-03-09T17:30:00&minutes=60", "start"),
        ("add-minutes?start=2026-03-09T17:30:00Z&minutes=-5", "minutes"),
        ("add-minutes?start=2026-03-09T17:30:00Z&minutes=9999999", "minutes"),
        ("add-minutes?start=yesterday&minutes=5", "start"),
        ("working-minutes?start=2026-03-09T00:00:00Z&end=2056-03-09T00:00:00Z", "end"),
        ("working-minutes?start=2026-03-09T00:00:00Z", "end"),
        ("working-minutes?start=2026-03-09T10:00:00Z&end=2026-03-09T09:00:00Z", "end"),
        ("preview?count=0", "count"),
        ("preview?count=101", "count"),
        ("preview?cuont=5", "cuont"),
        ("preview?start=9999-12-31T23:00:00-14:00", "start"),
    ],
)
def test_bad_arithmetic_arguments_are_refused_naming_them(msp_owner, hours, path, field, api_as):
    response = api_as(msp_owner).get(f"/api/v1/calendars/{hours.pk}/{path}")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_arithmetic_running_past_the_year_9999_is_refused(msp_owner, hours, api_as):
    response = api_as(msp_owner).get(
        f"/api/v1/calendars/{hours.pk}/add-minutes?start=9999-12-30T00:00:00Z&minutes=100000"
    )
    assert response.status_code == 422
    assert "9999" in response.json()["detail"]
