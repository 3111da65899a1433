"""API tokens over the API: the secret is shown once, works at once, and stops at revocation."""

from __future__ import annotations

from django.test import Client as HttpClient

from openmsp.accounts.models import ApiToken
from openmsp.core.models import AuditRecord

JSON = "application/json"


def bearer(secret: str) -> HttpClient:
    return HttpClient(headers={"Authorization": f"Bearer {secret}"})


def test_a_created_token_carries_its_secret_once_and_works_at_once(alice, api_as):
    response = api_as(alice).post(
        "/api/v1/tokens", {"name": "backup job", "expires_days": 30}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith(f"omsp_{body['prefix']}_")
    assert body["active"] is True
    assert body["expires_at"] is not None
    assert "token_hash" not in body
    me = bearer(body["secret"]).get("/api/v1/me")
    assert me.json()["email"] == "alice@hanbit.example"
    listed = api_as(alice).get("/api/v1/tokens").content.decode()
    assert body["secret"] not in listed
    assert "token_hash" not in listed
    record = AuditRecord.objects.get(action="token.created", object_id=str(body["id"]))
    assert record.category == "permission"
    assert body["secret"] not in str(record.after)


def test_a_revoked_token_stops_working_and_stays_listed_as_revoked(alice, api_as):
    http = api_as(alice)
    created = http.post("/api/v1/tokens", {"name": "ci"}, content_type=JSON).json()
    assert http.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    response = bearer(created["secret"]).get("/api/v1/me")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    revoked = http.get("/api/v1/tokens?active=false").json()["items"]
    assert [t["id"] for t in revoked] == [created["id"]]
    assert revoked[0]["revoked_at"] is not None
    assert AuditRecord.objects.filter(action="token.revoked", object_id=str(created["id"])).exists()
    assert http.delete(f"/api/v1/tokens/{created['id']}").status_code == 204  # twice is fine


def test_people_see_their_own_tokens_and_msp_admins_see_everyones(msp_owner, alice, bob, api_as):
    alice_http, bob_http, owner_http = api_as(alice), api_as(bob), api_as(msp_owner)
    assert {t["user_email"] for t in bob_http.get("/api/v1/tokens").json()["items"]} == {
        "bob@hanbit.example"
    }
    everyone = {t["user_email"] for t in owner_http.get("/api/v1/tokens").json()["items"]}
    assert everyone == {"alice@hanbit.example", "bob@hanbit.example", "owner@msp.example"}
    only_alice = owner_http.get(f"/api/v1/tokens?user_id={alice.pk}").json()["items"]
    assert {t["user_email"] for t in only_alice} == {"alice@hanbit.example"}
    assert alice_http.get("/api/v1/tokens").json()["count"] == 1


def test_a_client_admin_cannot_see_or_revoke_someone_elses_token(alice, bob, api_as):
    api_as(bob)
    token = ApiToken.objects.get(user=bob)
    assert api_as(alice).delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_msp_owner_revokes_a_client_users_token(msp_owner, bob, api_as):
    api_as(bob)
    token = ApiToken.objects.get(user=bob)
    assert api_as(msp_owner).delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_read_only_token_can_neither_create_nor_revoke_tokens(alice, api_as):
    http = api_as(alice, read_only=True)
    created = http.post("/api/v1/tokens", {"name": "escalate"}, content_type=JSON)
    assert created.status_code == 403
    own = ApiToken.objects.get(user=alice)
    revoked = http.delete(f"/api/v1/tokens/{own.pk}")
    assert revoked.status_code == 403
    assert revoked.json()["detail"] == "This API token is read-only."


def test_a_read_only_token_is_created_read_only(alice, client_a, api_as):
    created = (
        api_as(alice)
        .post("/api/v1/tokens", {"name": "reports", "read_only": True}, content_type=JSON)
        .json()
    )
    assert created["read_only"] is True
    response = bearer(created["secret"]).post(
        f"/api/v1/clients/{client_a.pk}/sites", {"name": "HQ"}, content_type=JSON
    )
    assert response.status_code == 403


def test_bad_token_requests_are_refused_naming_the_field(alice, api_as):
    http = api_as(alice)
    for body, field in (
        ({"name": ""}, "name"),
        ({"name": "x", "expires_days": 0}, "expires_days"),
        ({"name": "x", "expires_days": 3651}, "expires_days"),
        ({"name": "x", "user_id": 1}, "user_id"),
    ):
        response = http.post("/api/v1/tokens", body, content_type=JSON)
        assert response.status_code == 422, body
        assert response.json()["field"] == field


def test_requests_without_a_valid_token_are_401_with_a_json_reason(client_a):
    for headers in ({}, {"Authorization": "Bearer omsp_nope_nope"}, {"Authorization": "Basic x"}):
        response = HttpClient(headers=headers).get("/api/v1/clients")
        assert response.status_code == 401
        assert response.json()["detail"].startswith("Authentication required")


def test_a_signed_in_browser_session_reads_the_api_and_needs_the_csrf_token_to_write(alice):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get("/api/v1/me").json()["email"] == "alice@hanbit.example"
    refused = browser.post("/api/v1/tokens", {"name": "x"}, content_type=JSON)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not ApiToken.objects.filter(user=alice).exists()
