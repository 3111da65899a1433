from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.tests.support import post_password, records

NEW_PASSWORD = "another-fine-secret-81"


def change(http, old, new1, new2=None):
    return http.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_a_person_changes_their_password_and_stays_signed_in(client, bob):
    post_password(client, "bob@hanbit.example", PASSWORD)
    assert client.get(reverse("password_change")).status_code == 200

    response = change(client, PASSWORD, NEW_PASSWORD)

    assert response["Location"] == reverse("profile")
    assert client.get(reverse("profile")).status_code == 200
    client.post(reverse("logout"))
    assert post_password(client, "bob@hanbit.example", NEW_PASSWORD).status_code == 302
    assert records("user.password_set")[0].actor_id == bob.pk


def test_the_old_password_must_be_right(web_as, bob):
    response = change(web_as(bob), "not-my-password", NEW_PASSWORD)

    assert response.status_code == 422
    assert "old_password" in response.context["form"].errors


def test_the_reset_pages_render(client, db):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(name)).status_code == 200, name
