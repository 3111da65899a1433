import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.login import GENERIC_FAILURE, locked_message
from openmsp.accounts.models import User
from openmsp.accounts.tests.support import post_password, records, says

pytestmark = pytest.mark.usefixtures("bob")
EMAIL = "bob@hanbit.example"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def fail(client, times):
    return [post_password(client, EMAIL, "wrong-password") for _ in range(times)]


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3, OPENMSP_LOCKOUT_MINUTES=15)
def test_it_locks_the_account_at_the_threshold_and_says_so(client, time_machine):
    time_machine.move_to(START, tick=False)

    *_, third = fail(client, 3)

    assert third.status_code == 429
    bob = User.objects.get(email=EMAIL)
    assert bob.locked_until == START + dt.timedelta(minutes=15)
    assert says(third, lambda: locked_message(bob))


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3, OPENMSP_LOCKOUT_MINUTES=15)
def test_the_right_password_is_refused_while_locked(client, time_machine):
    time_machine.move_to(START, tick=False)
    fail(client, 3)
    time_machine.shift(dt.timedelta(minutes=10))

    response = post_password(client, EMAIL, PASSWORD)

    assert response.status_code == 429
    bob = User.objects.get(email=EMAIL)
    assert bob.locked_until == START + dt.timedelta(minutes=15)  # 5 of them still to go
    assert says(response, lambda: locked_message(bob))
    assert "_auth_user_id" not in client.session


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3, OPENMSP_LOCKOUT_MINUTES=15)
def test_the_lock_ends_by_itself_after_the_lockout_minutes(client, time_machine):
    time_machine.move_to(START, tick=False)
    fail(client, 3)
    time_machine.shift(dt.timedelta(minutes=15, seconds=1))

    response = post_password(client, EMAIL, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3)
def test_a_success_resets_the_count_of_failures(client, bob):
    fail(client, 2)
    post_password(client, EMAIL, PASSWORD)
    client.post(reverse("logout"))

    fail(client, 2)

    bob.refresh_from_db()
    assert bob.failed_login_count == 2
    assert bob.locked_until is None


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3, OPENMSP_LOCKOUT_MINUTES=15)
def test_the_lock_is_recorded_as_an_access_record(client, bob, time_machine):
    time_machine.move_to(START, tick=False)
    fail(client, 3)

    [rec] = records("login.locked")
    assert rec.category == "access"
    assert rec.actor_id == bob.pk
    assert rec.after == {"until": "2026-03-02T09:15:00+00:00", "failures": 3}
    assert [(r.after or {}).get("reason") for r in records("login.failed")] == ["password"] * 3


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3)
def test_unknown_addresses_always_get_the_generic_answer(client):
    responses = [post_password(client, "nobody@hanbit.example", "wrong") for _ in range(5)]

    assert {r.status_code for r in responses} == {422}
    assert all(says(r, GENERIC_FAILURE) for r in responses)
