"""The enrollment page: creating a token (shown once, with the install commands), listing and
revoking tokens; who may open it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openmsp.accounts import actions as account_actions
from openmsp.accounts.roles import Role
from openmsp.agent_api.models import EnrollmentToken
from openmsp.agent_api.tests.agents import enroll, make_token
from openmsp.core.actor import Actor
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


@pytest.fixture
def tech(db):
    return account_actions.invite_user(
        actor=SYSTEM,
        email="tech@msp.example",
        role=Role.TECHNICIAN,
        password="correct-horse-battery-42",
        full_name="Tina Tech",
    )


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("persona", ["msp_owner", "tech"])
def test_the_enrollment_page_renders_for_staff_who_enroll(
    request, web_as, client_a, language, persona
):
    user = speaking(request.getfixturevalue(persona), language)
    response = web_as(user).get(reverse("enrollment"))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in text
    assert ("에이전트 등록" if language == "ko" else "Enroll agents") in text


@pytest.mark.parametrize("persona", ["alice", "bob", "auditor"])
def test_people_who_do_not_enroll_agents_are_refused(request, web_as, client_a, persona):
    http = web_as(request.getfixturevalue(persona))
    assert http.get(reverse("enrollment")).status_code == 403
    assert http.post(reverse("enrollment"), {"client": client_a.pk}).status_code == 403


def test_a_new_token_is_shown_once_with_the_install_and_foreground_commands(
    web_as, tech, client_a, settings
):
    site = tenant_actions.create_site(actor=SYSTEM, client=client_a, name="Seoul DC")
    http = web_as(speaking(tech, "en"))
    response = http.post(
        reverse("enrollment"),
        {
            "client": client_a.pk,
            "site": site.pk,
            "name": "DC servers",
            "expires_in_days": "3",
            "max_uses": "10",
        },
    )
    text = response.content.decode()
    token = EnrollmentToken.objects.get()
    start = text.index('id="token-text">') + len('id="token-text">')
    secret = text[start : text.index("</code>", start)]
    server = settings.SITE_URL
    assert response.status_code == 200
    assert secret.startswith("ome_")
    assert token.site == site
    assert token.max_uses == 10
    assert 2.9 < (token.expires_at - token.created_at).total_seconds() / 86400 <= 3.0
    assert (
        f"pip install openmsp-agent &amp;&amp; openmsp-agent install --server {server} "
        f"--token {secret}"
    ) in text
    assert f"openmsp-agent run --server {server} --token {secret} --state-dir" in text
    assert enroll(secret, machine_id="m-1", hostname="web-01").agent_id  # it really works
    listing = http.get(reverse("enrollment")).content.decode()
    assert secret not in listing  # shown once
    assert f"ome_{token.prefix}…" in listing
    assert "DC servers" in listing


def test_a_site_of_another_client_is_refused_next_to_the_field(web_as, tech, client_a, client_b):
    other = tenant_actions.create_site(actor=SYSTEM, client=client_b, name="Busan")
    response = web_as(speaking(tech, "ko")).post(
        reverse("enrollment"),
        {"client": client_a.pk, "site": other.pk, "expires_in_days": "7"},
    )
    assert response.status_code == 422
    assert 'id="id_site_error"' in response.content.decode()
    assert "이 사이트는 다른 고객사 소속입니다." in response.content.decode()
    assert not EnrollmentToken.objects.exists()


def test_a_bad_expiry_is_refused_next_to_the_field(web_as, tech, client_a):
    response = web_as(tech).post(
        reverse("enrollment"), {"client": client_a.pk, "expires_in_days": "9999"}
    )
    assert response.status_code == 422
    assert 'id="id_expires_in_days_error"' in response.content.decode()


def test_a_technician_of_client_b_cannot_create_tokens_for_client_a_or_see_its_tokens(
    web_as, tech_b, client_a, client_b
):
    make_token(client_a, name="A's token")
    http = web_as(tech_b)
    page = http.get(reverse("enrollment")).content.decode()
    assert "A&#x27;s token" not in page
    assert "Hanbit Logistics" not in page
    response = http.post(reverse("enrollment"), {"client": client_a.pk, "expires_in_days": "7"})
    assert response.status_code == 422
    assert 'id="id_client_error"' in response.content.decode()
    assert not EnrollmentToken.objects.filter(created_by=tech_b).exists()


def test_revoking_a_token_stops_it_enrolling(web_as, tech, client_a):
    token, text = make_token(client_a)
    http = web_as(speaking(tech, "en"))
    response = http.post(reverse("enrollment_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    listing = http.get(reverse("enrollment")).content.decode()
    assert "badge-token-revoked" in listing
    enroll_response = http.post(
        "/agent/v1/enroll",
        {"enrollment_token": text, "machine_id": "m", "hostname": "h"},
        content_type="application/json",
    )
    assert enroll_response.status_code == 401


def test_outsiders_get_404_when_revoking_client_as_token(web_as, tech_b, client_a):
    token, _text = make_token(client_a)
    assert (
        web_as(tech_b).post(reverse("enrollment_token_revoke", args=[token.pk])).status_code == 404
    )
    token.refresh_from_db()
    assert token.revoked_at is None
