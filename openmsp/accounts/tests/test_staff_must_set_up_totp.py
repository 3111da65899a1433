import base64
import datetime as dt
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, SYSTEM
from openmsp.accounts import actions
from openmsp.accounts.tests.support import code_for, post_password, records

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def enforced(db):
    actions.set_security_policy(actor=SYSTEM, mfa_required_for_staff=True)


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, enforced, msp_admin):
    response = post_password(client, "admin@msp.example", PASSWORD)

    assert response["Location"] == reverse("totp_setup")
    assert client.get(reverse("dashboard"))["Location"] == reverse("totp_setup")


def test_the_setup_page_shows_a_qr_code_and_the_key_for_typing(client, enforced, msp_admin):
    post_password(client, "admin@msp.example", PASSWORD)

    page = client.get(reverse("totp_setup")).content.decode()

    assert re.search(r"<svg [^>]*class=\"qr-code\"", page)
    device = TOTPDevice.objects.get(user=msp_admin, confirmed=False)
    shown = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert shown
    secret = shown.group(1).replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert "<script" not in page.split("<main", 1)[1]


def test_reloading_the_setup_page_keeps_the_same_key(client, enforced, msp_admin):
    post_password(client, "admin@msp.example", PASSWORD)
    client.get(reverse("totp_setup"))
    client.get(reverse("totp_setup"))

    assert TOTPDevice.objects.filter(user=msp_admin).count() == 1


def test_confirming_with_a_first_code_finishes_signing_in(
    client, enforced, msp_admin, time_machine
):
    time_machine.move_to(START, tick=False)
    post_password(client, "admin@msp.example", PASSWORD, next="/clients/")
    client.get(reverse("totp_setup"))
    device = TOTPDevice.objects.get(user=msp_admin)

    response = client.post(reverse("totp_setup"), {"otp_token": code_for(device), "name": "Pixel"})

    assert response["Location"] == "/clients/"
    device.refresh_from_db()
    assert device.confirmed
    assert device.name == "Pixel"
    assert client.get(reverse("dashboard")).status_code == 200
    [added] = records("mfa.device_added")
    assert added.category == "permission"
    assert added.actor_id == msp_admin.pk
    assert records("login.succeeded")[0].after == {"second_factor": True}


def test_a_wrong_first_code_is_a_field_error(client, enforced, msp_admin):
    post_password(client, "admin@msp.example", PASSWORD)
    client.get(reverse("totp_setup"))

    response = client.post(reverse("totp_setup"), {"otp_token": "000000"})

    assert response.status_code == 422
    assert "otp_token" in response.context["form"].errors
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_client_users_are_not_forced(client, enforced, bob):
    assert post_password(client, "bob@hanbit.example", PASSWORD)["Location"] == reverse("dashboard")


@override_settings(OPENMSP_MFA_REQUIRED_FOR_STAFF=True)
def test_the_environment_variable_enforces_it_too(client, technician_in_env):
    response = post_password(client, "tech@msp.example", PASSWORD)

    assert response["Location"] == reverse("totp_setup")


@pytest.fixture
def technician_in_env(db):
    from conftest import make_user

    return make_user("tech@msp.example", "technician")
