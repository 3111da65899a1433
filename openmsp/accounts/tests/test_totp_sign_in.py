import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.login import THROTTLED, WRONG_CODE, locked_message
from openmsp.accounts.models import ApiToken
from openmsp.accounts.tests.support import (
    add_device,
    code_for,
    post_password,
    records,
    says,
    wrong_code_for,
)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def device(alice, time_machine):
    time_machine.move_to(START, tick=False)
    return add_device(alice)


def test_a_person_with_an_authenticator_is_asked_for_a_code(client, device):
    response = post_password(client, "alice@hanbit.example", PASSWORD)

    assert response["Location"] == reverse("login_otp")
    page = client.get(reverse("login_otp")).content.decode()
    assert 'name="otp_token"' in page


def test_the_right_code_finishes_signing_in(client, device, alice):
    post_password(client, "alice@hanbit.example", PASSWORD, next="/clients/")

    response = client.post(reverse("login_otp"), {"otp_token": code_for(device)})

    assert response["Location"] == "/clients/"
    assert client.get(reverse("profile")).status_code == 200
    [rec] = records("login.succeeded")
    assert rec.actor_id == alice.pk
    assert rec.after == {"second_factor": True}


def test_a_wrong_code_is_refused_and_counted(client, device, alice):
    post_password(client, "alice@hanbit.example", PASSWORD)

    response = client.post(reverse("login_otp"), {"otp_token": wrong_code_for(device)})

    assert response.status_code == 422
    assert says(response, WRONG_CODE)
    alice.refresh_from_db()
    assert alice.failed_login_count == 1
    assert records("login.failed")[-1].after == {"reason": "totp", "failures": 1}


def test_until_the_code_is_given_other_pages_send_back_to_the_code(client, device):
    post_password(client, "alice@hanbit.example", PASSWORD)

    for path in (reverse("dashboard"), reverse("profile"), reverse("user_list")):
        assert client.get(path)["Location"] == reverse("login_otp"), path


def test_a_password_alone_cannot_create_an_api_token(client, device):
    post_password(client, "alice@hanbit.example", PASSWORD)

    response = client.post(reverse("token_create"), {"name": "stolen"})

    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_a_password_alone_cannot_add_a_second_authenticator(client, device):
    post_password(client, "alice@hanbit.example", PASSWORD)

    assert client.get(reverse("totp_setup"))["Location"] == reverse("login_otp")


def test_a_code_with_spaces_is_accepted(client, device):
    post_password(client, "alice@hanbit.example", PASSWORD)
    code = code_for(device)

    response = client.post(reverse("login_otp"), {"otp_token": f"{code[:3]} {code[3:]}"})

    assert response["Location"] == reverse("dashboard")


def test_a_code_is_not_accepted_twice(client, device, time_machine):
    code = code_for(device)
    post_password(client, "alice@hanbit.example", PASSWORD)
    client.post(reverse("login_otp"), {"otp_token": code})
    client.post(reverse("logout"))
    time_machine.shift(dt.timedelta(seconds=5))

    post_password(client, "alice@hanbit.example", PASSWORD)
    response = client.post(reverse("login_otp"), {"otp_token": code})

    assert response.status_code == 422


@override_settings(OPENMSP_LOCKOUT_THRESHOLD=3, OPENMSP_LOCKOUT_MINUTES=15)
def test_repeated_wrong_codes_lock_the_account_and_end_the_half_session(
    client, device, alice, time_machine
):
    post_password(client, "alice@hanbit.example", PASSWORD)
    for _ in range(3):
        response = client.post(reverse("login_otp"), {"otp_token": wrong_code_for(device)})
        time_machine.shift(dt.timedelta(seconds=10))  # past django-otp's per-device throttle

    assert response.status_code == 429
    alice.refresh_from_db()
    assert says(response, lambda: locked_message(alice))
    assert "_auth_user_id" not in client.session
    assert post_password(client, "alice@hanbit.example", PASSWORD).status_code == 429


def test_a_throttled_try_is_refused_without_counting(client, device, alice):
    post_password(client, "alice@hanbit.example", PASSWORD)
    client.post(reverse("login_otp"), {"otp_token": wrong_code_for(device)})

    response = client.post(reverse("login_otp"), {"otp_token": code_for(device)})

    assert says(response, THROTTLED)
    alice.refresh_from_db()
    assert alice.failed_login_count == 1


def test_the_api_refuses_a_half_signed_in_session(client, device):
    post_password(client, "alice@hanbit.example", PASSWORD)

    assert client.get("/api/v1/clients").status_code == 401
