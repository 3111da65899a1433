import pytest
from django.urls import reverse

from openmsp.accounts import actions
from openmsp.accounts.models import User
from openmsp.core.actor import Actor


def test_charlie_gets_404_on_alices_page(web_as, charlie, alice):
    assert web_as(charlie).get(reverse("user_detail", args=[alice.pk])).status_code == 404


def test_charlie_cannot_change_alice_or_bob(web_as, charlie, alice, bob):
    http = web_as(charlie)
    for name in ("user_profile_edit", "user_role_edit", "user_invitation_send", "user_mfa_reset"):
        response = http.post(
            reverse(name, args=[bob.pk]), {"full_name": "Hacked", "role": "client_admin"}
        )
        assert response.status_code == 404, name
    bob.refresh_from_db()
    assert (bob.full_name, bob.role) == ("Bob", "client_user")


def test_charlie_does_not_see_client_a_people_in_the_list(web_as, charlie, alice, bob):
    page = web_as(charlie).get(reverse("user_list")).content.decode()

    assert "charlie@saebom.example" in page
    assert "alice@hanbit.example" not in page
    assert "bob@hanbit.example" not in page


def test_an_id_that_does_not_exist_is_also_404(web_as, msp_owner):
    missing = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    assert web_as(msp_owner).get(reverse("user_detail", args=[missing])).status_code == 404


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_every_people_route_answers_404_to_outsiders_whatever_the_method(
    request, outsider, web_as, alice, bob
):
    token, _secret = actions.create_token(actor=Actor(user=alice), user=alice, name="ci")
    http = web_as(request.getfixturevalue(outsider))
    urls = [
        reverse(name, args=[bob.pk])
        for name in (
            "user_detail",
            "user_profile_edit",
            "user_role_edit",
            "user_invitation_send",
            "user_mfa_reset",
        )
    ] + [reverse("token_revoke", args=[token.pk])]

    answers = {(url, "GET"): http.get(url).status_code for url in urls} | {
        (url, "POST"): http.post(url, {"name": "x", "confirm": "1"}).status_code for url in urls
    }

    assert set(answers.values()) == {404}, answers
    token.refresh_from_db()
    assert token.revoked_at is None
