import datetime as dt

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, SYSTEM
from openmsp.accounts import actions
from openmsp.accounts.tests.support import add_device, code_for, post_password, records

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def signed_in_with_code(client, email, device):
    post_password(client, email, PASSWORD)
    assert client.post(reverse("login_otp"), {"otp_token": code_for(device)}).status_code == 302


def test_a_person_turns_on_two_factor_from_the_profile(web_as, bob, time_machine):
    time_machine.move_to(START, tick=False)
    http = web_as(bob)
    http.get(reverse("totp_setup"))
    device = TOTPDevice.objects.get(user=bob)

    response = http.post(reverse("totp_setup"), {"otp_token": code_for(device)})

    assert response["Location"] == reverse("profile")
    assert http.get(reverse("profile")).status_code == 200  # this session counts as verified
    assert records("mfa.device_added")[0].category == "permission"


def test_removing_needs_the_password(client, alice, time_machine):
    time_machine.move_to(START, tick=False)
    device = add_device(alice)
    signed_in_with_code(client, "alice@hanbit.example", device)

    response = client.post(reverse("totp_remove"), {"device": device.pk, "password": "wrong"})

    assert response.status_code == 422
    assert response.context["remove_form"].errors["password"]
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_removing_with_the_password_removes_it_and_is_audited(client, alice, time_machine):
    time_machine.move_to(START, tick=False)
    device = add_device(alice)
    signed_in_with_code(client, "alice@hanbit.example", device)

    response = client.post(reverse("totp_remove"), {"device": device.pk, "password": PASSWORD})

    assert response["Location"] == reverse("profile")
    assert not TOTPDevice.objects.exists()
    [rec] = records("mfa.device_removed")
    assert rec.category == "permission"
    assert rec.actor_id == alice.pk


def test_staff_who_must_use_two_factor_cannot_remove_their_last_authenticator(
    client, msp_admin, time_machine
):
    time_machine.move_to(START, tick=False)
    actions.set_security_policy(actor=SYSTEM, mfa_required_for_staff=True)
    device = add_device(msp_admin)
    signed_in_with_code(client, "admin@msp.example", device)

    response = client.post(reverse("totp_remove"), {"device": device.pk, "password": PASSWORD})

    assert response.status_code == 409
    assert response.context["remove_form"].non_field_errors()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_manager_resets_a_lost_authenticator(web_as, msp_owner, bob):
    add_device(bob)

    response = web_as(msp_owner).post(reverse("user_mfa_reset", args=[bob.pk]))

    assert response["Location"] == reverse("user_detail", args=[bob.pk])
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert records("mfa.device_removed")[0].actor_id == msp_owner.pk


@pytest.mark.usefixtures("charlie")
def test_another_clients_admin_cannot_reset_it(web_as, charlie, bob):
    add_device(bob)

    assert web_as(charlie).post(reverse("user_mfa_reset", args=[bob.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=bob).exists()


def test_nobody_removes_someone_elses_authenticator_from_their_profile(web_as, alice, bob):
    device = add_device(alice)

    response = web_as(bob).post(reverse("totp_remove"), {"device": device.pk, "password": PASSWORD})

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
