import datetime as dt

from django.test import override_settings
from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.tests.support import post_password, records

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def signed_in(client, time_machine):
    time_machine.move_to(START, tick=False)
    post_password(client, "bob@hanbit.example", PASSWORD)
    assert client.get(reverse("dashboard")).status_code == 200


@override_settings(OPENMSP_SESSION_IDLE_MINUTES=30)
def test_it_signs_out_after_the_idle_minutes_and_says_why(client, bob, time_machine):
    signed_in(client, time_machine)
    time_machine.shift(dt.timedelta(minutes=31))

    response = client.get("/clients/?page=2")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?idle=1&next=%2Fclients%2F%3Fpage%3D2"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert 'id="idle-notice"' in page
    assert "30" in page.split('id="idle-notice"', 1)[1].split("</p>", 1)[0]


@override_settings(OPENMSP_SESSION_IDLE_MINUTES=30)
def test_activity_keeps_the_session_alive(client, bob, time_machine):
    signed_in(client, time_machine)
    for _ in range(4):
        time_machine.shift(dt.timedelta(minutes=20))
        assert client.get(reverse("dashboard")).status_code == 200


@override_settings(OPENMSP_SESSION_IDLE_MINUTES=30)
def test_the_idle_sign_out_is_recorded(client, bob, time_machine):
    signed_in(client, time_machine)
    time_machine.shift(dt.timedelta(minutes=31))
    client.get(reverse("dashboard"))

    [rec] = records("logout")
    assert rec.actor_id == bob.pk
    assert rec.category == "access"
    assert rec.after == {"reason": "idle"}


@override_settings(OPENMSP_SESSION_IDLE_MINUTES=30)
def test_htmx_requests_are_told_to_load_the_login_page(client, bob, time_machine):
    signed_in(client, time_machine)
    time_machine.shift(dt.timedelta(minutes=31))

    response = client.get(reverse("dashboard"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?idle=1")


@override_settings(OPENMSP_SESSION_IDLE_MINUTES=30)
def test_an_idle_session_gets_the_apis_own_401(client, bob, time_machine):
    signed_in(client, time_machine)
    time_machine.shift(dt.timedelta(minutes=31))

    response = client.get("/api/v1/clients")

    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")
