"""Enrollment: tokens that expire, get revoked or used up; one asset per machine; credentials."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from openmsp.agent_api import crypto
from openmsp.agent_api.actions import revoke_agent, revoke_enrollment_token
from openmsp.agent_api.agent_actions import INTERVALS
from openmsp.agent_api.models import Agent, EnrollmentToken
from openmsp.agent_api.tests.agents import SYSTEM, enroll, make_token
from openmsp.assets.models import Asset
from openmsp.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def _enroll_raw(text: str, machine_id: str = "machine-1") -> tuple[int, dict[str, Any]]:
    response = HttpClient().post(
        "/agent/v1/enroll",
        {"enrollment_token": text, "machine_id": machine_id, "hostname": "web-01", "os": "linux"},
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_enrolling_creates_an_agent_asset_and_hands_out_credentials_once(client_a) -> None:
    token, text = make_token(client_a, name="rollout")
    agent = enroll(text, hostname="web-01")
    data = agent.enrollment
    assert set(data) == {
        "agent_id",
        "agent_secret",
        "command_public_key",
        "intervals",
        "jitter_seconds",
    }
    assert len(data["agent_secret"]) == 43
    assert data["command_public_key"] == crypto.public_key_b64()
    assert data["intervals"] == INTERVALS
    assert 0 <= data["jitter_seconds"] < INTERVALS["checkin"]
    assert data["jitter_seconds"] == uuid.UUID(data["agent_id"]).int % 60
    row = Agent.objects.select_related("asset").get(pk=data["agent_id"])
    assert row.client == client_a
    assert row.asset.kind == Asset.Kind.AGENT
    assert row.asset.hostname == "web-01"
    assert row.asset.client == client_a
    assert data["agent_secret"] not in row.secret_encrypted
    assert crypto.decrypt_secret(row.secret_encrypted) == data["agent_secret"]
    token.refresh_from_db()
    assert token.uses == 1
    assert text not in str(EnrollmentToken.objects.values_list().get(pk=token.pk))
    assert AuditRecord.objects.filter(action="agent.enrolled", client=client_a).exists()


def test_the_token_site_becomes_the_assets_site(client_a) -> None:
    from openmsp.tenants.actions import create_site

    site = create_site(actor=SYSTEM, client=client_a, name="Busan DC")
    _token, text = make_token(client_a, site=site)
    assert enroll(text).agent.asset.site == site


def test_reenrolling_the_same_machine_returns_the_same_agent_and_asset_with_a_new_secret(
    client_a,
) -> None:
    _token, text = make_token(client_a)
    first = enroll(text, machine_id="m-42")
    second = enroll(text, machine_id="m-42", hostname="web-01-renamed")
    assert second.agent_id == first.agent_id
    assert second.secret != first.secret
    assert Asset.objects.filter(client=client_a).count() == 1
    assert second.agent.asset.hostname == "web-01-renamed"
    assert first.batch().status_code == 401  # the old secret stopped working
    assert second.batch().status_code == 200


def test_the_same_machine_id_at_another_client_is_another_asset(client_a, client_b) -> None:
    _t, text_a = make_token(client_a)
    _t, text_b = make_token(client_b)
    assert enroll(text_a, machine_id="same").agent_id != enroll(text_b, machine_id="same").agent_id


def test_a_revoked_agent_can_enroll_again_and_works(client_a) -> None:
    _token, text = make_token(client_a)
    first = enroll(text)
    revoke_agent(actor=SYSTEM, agent=first.agent)
    assert first.batch().json() == {"detail": "agent revoked"}
    again = enroll(text)
    assert again.agent_id == first.agent_id
    assert again.batch().status_code == 200


def test_an_expired_token_is_refused(client_a) -> None:
    _token, text = make_token(client_a)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8), tick=False):
        status, body = _enroll_raw(text)
    assert status == 401
    assert body["detail"] == "This enrollment token has expired."


def test_a_revoked_token_is_refused(client_a) -> None:
    token, text = make_token(client_a)
    revoke_enrollment_token(actor=SYSTEM, token=token)
    assert _enroll_raw(text) == (401, {"detail": "This enrollment token has been revoked."})


def test_a_token_is_refused_once_its_uses_are_spent(client_a) -> None:
    _token, text = make_token(client_a, max_uses=2)
    assert _enroll_raw(text, "m1")[0] == 201
    assert _enroll_raw(text, "m2")[0] == 201
    assert _enroll_raw(text, "m3") == (401, {"detail": "This enrollment token has been used up."})
    assert Asset.objects.filter(client=client_a).count() == 2


def test_an_unknown_token_is_refused(db) -> None:
    assert _enroll_raw("ome_not-a-real-token") == (401, {"detail": "Unknown enrollment token."})


def test_a_malformed_enrollment_is_a_422_naming_the_field(client_a) -> None:
    _token, text = make_token(client_a)
    response = HttpClient().post(
        "/agent/v1/enroll",
        {"enrollment_token": text, "hostname": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "machine_id"
    bad_json = HttpClient().post("/agent/v1/enroll", "{nope", content_type="application/json")
    assert bad_json.status_code == 400
    assert bad_json.json() == {"detail": "The body is not valid JSON."}


def test_the_agent_api_answers_json_for_unknown_paths_and_wrong_methods(db) -> None:
    http = HttpClient()
    assert http.get("/agent/v1/nothing-here").status_code == 404
    assert http.get("/agent/v1/nothing-here").json()["detail"].startswith("No such agent API")
    wrong = http.get("/agent/v1/enroll")
    assert wrong.status_code == 405
    assert wrong["Allow"] == "POST"
    assert wrong.json() == {"detail": "Use POST for this endpoint."}


def test_other_protocol_versions_get_426_with_the_supported_ones() -> None:
    from django.test import RequestFactory

    from openmsp.agent_api.views import unsupported_version

    response = unsupported_version(RequestFactory().post("/agent/v0/batches"), "v0", "batches")
    assert response.status_code == 426
    assert json.loads(response.content)["supported"] == ["v1"]
