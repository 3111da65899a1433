"""The problems board, the problem page with its acknowledge form, the maintenance page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from openmsp.alerts.models import MaintenanceWindow, Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.core import spine

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(client_a) -> Problem:
    spine.observe(seen(client_a.pk, title="ERP health down"))
    return Problem.objects.get()


def test_alice_sees_her_clients_problem_on_the_board_and_charlie_does_not(
    web_as, alice, charlie, problem
):
    page = web_as(alice).get("/problems/")
    assert page.status_code == 200
    assert "ERP health down" in page.content.decode()
    assert "ERP health down" not in web_as(charlie).get("/problems/").content.decode()
    assert web_as(charlie).get(f"/problems/{problem.pk}/").status_code == 404


def test_staff_see_every_client_and_filter_by_severity(web_as, msp_owner, problem):
    http = web_as(msp_owner)
    body = http.get("/problems/").content.decode()
    assert "Hanbit Logistics" in body
    assert "ERP health down" in body
    assert "ERP health down" not in http.get("/problems/?severity=warning").content.decode()
    assert "ERP health down" in http.get("/problems/?state=all&suppressed=0").content.decode()


def test_bob_acknowledges_from_the_problem_page_with_comment_and_expiry(web_as, bob, problem):
    http = web_as(bob)
    page = http.get(f"/problems/{problem.pk}/")
    assert 'id="ack-form"' in page.content.decode()
    until = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = http.post(
        f"/problems/{problem.pk}/acknowledge/", {"comment": "On it", "expires_at": until}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == "acknowledged"
    assert problem.ack_comment == "On it"
    assert problem.ack_expires_at is not None
    body = http.get(f"/problems/{problem.pk}/").content.decode()
    assert "On it" in body
    assert 'data-state="acknowledged"' in body


def test_an_expiry_in_the_past_is_shown_next_to_the_field(web_as, bob, problem):
    past = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = web_as(bob).post(f"/problems/{problem.pk}/acknowledge/", {"expires_at": past})
    assert response.status_code == 422
    # Bob's interface is Korean (the default): the action's sentence is shown translated.
    assert "만료 시각은 미래여야 합니다." in response.content.decode()
    problem.refresh_from_db()
    assert problem.state == "firing"


def test_staff_plan_a_recurring_maintenance_window_and_a_client_user_only_reads(
    web_as, msp_owner, bob, client_a
):
    response = web_as(msp_owner).post(
        "/problems/maintenance/",
        {
            "client": client_a.pk,
            "name": "Sunday patching",
            "cron": "0 2 * * 0",
            "duration_minutes": 120,
            "time_zone": "Asia/Seoul",
        },
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.cron == "0 2 * * 0"
    assert not window.counts_against_availability
    page = web_as(bob).get("/problems/maintenance/").content.decode()
    assert "Sunday patching" in page
    assert 'id="window-form"' not in page
    assert web_as(bob).post("/problems/maintenance/", {"name": "x"}).status_code == 403


def test_a_bad_cron_expression_is_refused_by_name(web_as, msp_owner, client_a):
    response = web_as(msp_owner).post(
        "/problems/maintenance/",
        {
            "client": client_a.pk,
            "name": "x",
            "cron": "every sunday",
            "duration_minutes": 60,
            "time_zone": "Asia/Seoul",
        },
    )
    assert response.status_code == 422
    assert "올바른 cron 식이 아닙니다" in response.content.decode()


def test_the_board_and_the_api_list_cost_the_same_queries_for_three_or_twelve_problems(
    web_as, api_as, msp_owner, client_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openmsp.alerts import actions
    from openmsp.core.actor import Actor

    http, api = web_as(msp_owner), api_as(msp_owner)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as board:
            assert http.get("/problems/?state=all").status_code == 200
        with CaptureQueriesContext(connection) as listing:
            assert api.get("/api/v1/problems").status_code == 200
        return len(board), len(listing)

    def add(n: int, first: int) -> None:
        for i in range(first, first + n):
            spine.observe(seen(client_a.pk, object_id=f"q{i}"))
            problem = Problem.objects.get(object_id=f"q{i}")
            if i % 2:
                actions.acknowledge(actor=Actor(user=msp_owner), problem=problem)

    counts()  # the first requests also note the session's and the token's use
    add(3, 0)
    few = counts()
    add(9, 3)
    assert counts() == few


def test_a_window_scoped_to_one_site_of_the_client(web_as, msp_owner, client_a, client_b):
    from openmsp.core.actor import Actor
    from openmsp.tenants import actions as tenant_actions

    site = tenant_actions.create_site(actor=Actor.system("test"), client=client_a, name="Busan DC")
    other = tenant_actions.create_site(actor=Actor.system("test"), client=client_b, name="Seoul")
    form = {
        "client": client_a.pk,
        "name": "Busan power work",
        "starts_at": "2026-12-24T22:00",
        "ends_at": "2026-12-25T02:00",
        "time_zone": "Asia/Seoul",
    }
    http = web_as(msp_owner)
    assert http.post("/problems/maintenance/", {**form, "site": other.pk}).status_code == 422
    assert http.post("/problems/maintenance/", {**form, "site": site.pk}).status_code == 302
    assert MaintenanceWindow.objects.get().site == site
