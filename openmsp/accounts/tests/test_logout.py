from django.urls import reverse

from openmsp.accounts.tests.support import records


def test_signing_out_ends_the_session_and_is_recorded(web_as, bob):
    http = web_as(bob)

    response = http.post(reverse("logout"))

    assert response["Location"] == reverse("login")
    assert http.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
    [rec] = records("logout")
    assert rec.actor_id == bob.pk
    assert rec.category == "access"
    assert rec.after == {"reason": "user"}


def test_signing_out_needs_a_post(web_as, bob):
    assert web_as(bob).get(reverse("logout")).status_code == 405


def test_the_pages_offer_a_sign_out_button(web_as, bob):
    page = web_as(bob).get(reverse("profile")).content.decode()

    assert f'action="{reverse("logout")}"' in page
