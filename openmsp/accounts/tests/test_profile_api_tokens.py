import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from openmsp.accounts.models import ApiToken
from openmsp.accounts.tests.support import find_token, records


@pytest.fixture
def http(web_as, bob):
    return web_as(bob)


def create(http, **fields):
    return http.post(reverse("token_create"), {"name": "backup script", **fields})


def test_the_new_token_is_shown_once(http):
    response = create(http, read_only="on", expires_days="30")

    secret = find_token(response.content.decode())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    listing = http.get(reverse("profile")).content.decode()
    assert secret not in listing
    token = ApiToken.objects.get()
    assert token.prefix in listing
    assert "backup script" in listing
    assert token.read_only
    assert token.expires_at is not None


def test_the_token_works_until_it_is_revoked(http, bob):
    secret = find_token(create(http).content.decode())
    api = HttpClient(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/clients").status_code == 200
    token = ApiToken.objects.get()

    response = http.post(reverse("token_revoke", args=[token.pk]))

    assert response["Location"] == reverse("profile")
    assert api.get("/api/v1/clients").status_code == 401
    assert records("token.revoked")[0].actor_id == bob.pk


def test_a_name_is_required(http):
    response = http.post(reverse("token_create"), {"name": ""})

    assert response.status_code == 422
    assert "name" in response.context["token_form"].errors
    assert not ApiToken.objects.exists()


def test_an_expiry_out_of_range_is_a_field_error(http):
    response = create(http, expires_days="5000")

    assert response.status_code == 422
    assert "expires_days" in response.context["token_form"].errors


def test_nobody_can_revoke_someone_elses_token_from_their_profile(http, web_as, alice):
    create(web_as(alice))
    token = ApiToken.objects.get()

    assert http.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_profile_lists_only_ones_own_tokens(http, web_as, alice):
    create(web_as(alice))

    assert ApiToken.objects.get().prefix not in http.get(reverse("profile")).content.decode()


def test_an_msp_owner_may_revoke_anyones_token(web_as, msp_owner, bob, http):
    create(http)
    token = ApiToken.objects.get()

    response = web_as(msp_owner).post(reverse("token_revoke", args=[token.pk]))

    assert response["Location"] == reverse("user_detail", args=[bob.pk])
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert records("token.revoked")[0].actor_id == msp_owner.pk


def test_revoking_needs_a_post(http):
    create(http)

    assert http.get(reverse("token_revoke", args=[ApiToken.objects.get().pk])).status_code == 405
