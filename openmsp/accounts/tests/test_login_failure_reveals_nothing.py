from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.login import GENERIC_FAILURE
from openmsp.accounts.tests.support import post_password, records, says


def test_a_wrong_password_gets_the_generic_answer(client, bob):
    response = post_password(client, "bob@hanbit.example", "not-the-password")

    assert response.status_code == 422
    assert says(response, GENERIC_FAILURE)
    assert "_auth_user_id" not in client.session


def test_an_unknown_address_gets_exactly_the_same_answer(client, bob):
    known = post_password(client, "bob@hanbit.example", "not-the-password")
    unknown = post_password(client, "nobody@hanbit.example", "not-the-password")

    assert unknown.status_code == known.status_code
    assert says(unknown, GENERIC_FAILURE)


def test_a_failure_on_a_known_address_is_recorded_as_that_user(client, bob):
    post_password(client, "bob@hanbit.example", "not-the-password")

    [rec] = records("login.failed")
    assert rec.category == "access"
    assert rec.actor_id == bob.pk
    assert rec.after == {"reason": "password", "failures": 1}


def test_a_failure_on_an_unknown_address_is_recorded_by_the_system_with_the_address(client, db):
    post_password(client, "Nobody@Example.com", "whatever-password")

    [rec] = records("login.failed")
    assert rec.actor_id is None
    assert rec.actor_label == "system:web"
    assert rec.object_repr == "nobody@example.com"
    assert rec.category == "access"


def test_a_deactivated_account_cannot_sign_in_and_is_not_told_why(client, bob):
    bob.is_active = False
    bob.save()

    response = post_password(client, "bob@hanbit.example", PASSWORD)

    assert response.status_code == 422
    assert says(response, GENERIC_FAILURE)
    assert records("login.failed")[0].after == {"reason": "inactive"}


def test_a_malformed_address_is_a_field_error_not_a_crash(client, db):
    response = client.post(reverse("login"), {"username": "not an email", "password": "x"})

    assert response.status_code == 422
    assert "username" in response.context["form"].errors
