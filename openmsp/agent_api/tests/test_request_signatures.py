"""Every agent request is signed: a wrong secret, a stale timestamp or a tampered body is a 401 and
an audit record (at most one a minute per agent); a revoked agent is cut off at once."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
import time_machine

from openmsp.agent_api.actions import revoke_agent
from openmsp.agent_api.tests.agents import SYSTEM, SignedAgent, sign
from openmsp.core.models import AuditRecord

pytestmark = pytest.mark.django_db
PATH = "/agent/v1/batches"


def _body() -> bytes:
    now = dt.datetime.now(dt.UTC).isoformat()
    return json.dumps(
        {"batch_id": str(uuid.uuid4()), "seq": 1, "sent_at": now, "samples": []}
    ).encode()


def _send(agent: SignedAgent, body: bytes, headers: dict[str, str]) -> Any:
    return agent.http.generic(
        "POST", PATH, data=body, content_type="application/json", headers=headers
    )


def _failures(agent: SignedAgent) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action="agent.auth_failed", object_id=agent.agent_id))


def test_a_correctly_signed_batch_is_accepted(agent_a: SignedAgent) -> None:
    response = agent_a.batch()
    assert response.status_code == 200
    assert response.json() == {"accepted": True, "duplicate": False, "next_checkin_seconds": 60}


def test_a_wrong_secret_is_refused_and_audited(agent_a: SignedAgent) -> None:
    body = _body()
    headers = {
        "Authorization": f"Agent {agent_a.agent_id}",
        **sign("not-the-secret", "POST", PATH, body),
    }
    response = _send(agent_a, body, headers)
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]
    [record] = _failures(agent_a)
    assert (record.after or {})["reason"] == "bad signature"
    assert record.category == "access"
    assert record.client_id == agent_a.agent.client_id


def test_a_stale_timestamp_is_refused_and_audited(agent_a: SignedAgent) -> None:
    body = _body()
    stale = int(time.time()) - 301
    response = _send(agent_a, body, agent_a.headers("POST", PATH, body, stamp=stale))
    assert response.status_code == 401
    assert "300 seconds" in response.json()["detail"]
    assert [(r.after or {})["reason"] for r in _failures(agent_a)] == ["stale or missing timestamp"]


def test_a_timestamp_within_the_window_is_accepted(agent_a: SignedAgent) -> None:
    body = _body()
    response = _send(
        agent_a, body, agent_a.headers("POST", PATH, body, stamp=int(time.time()) - 250)
    )
    assert response.status_code == 200


def test_a_tampered_body_is_refused(agent_a: SignedAgent) -> None:
    signed = _body()
    sent = signed.replace(b'"seq": 1', b'"seq": 9')
    response = _send(agent_a, sent, agent_a.headers("POST", PATH, signed))
    assert response.status_code == 401
    assert len(_failures(agent_a)) == 1


def test_the_signature_covers_the_method_and_path(agent_a: SignedAgent) -> None:
    body = _body()
    headers = agent_a.headers("POST", "/agent/v1/enroll", body)
    assert _send(agent_a, body, headers).status_code == 401


def test_missing_or_malformed_credentials_are_refused(agent_a: SignedAgent) -> None:
    body = _body()
    assert _send(agent_a, body, {}).status_code == 401
    unknown = {"Authorization": f"Agent {uuid.uuid4()}", **sign(agent_a.secret, "POST", PATH, body)}
    response = _send(agent_a, body, unknown)
    assert response.status_code == 401
    assert "enroll" in response.json()["detail"]
    assert _send(agent_a, body, {"Authorization": "Agent not-a-uuid"}).status_code == 401


def test_auth_failures_are_audited_at_most_once_a_minute_per_agent(agent_a: SignedAgent) -> None:
    body = _body()
    bad = {"Authorization": f"Agent {agent_a.agent_id}", **sign("wrong", "POST", PATH, body)}
    for _ in range(5):
        assert _send(agent_a, body, bad).status_code == 401
    assert len(_failures(agent_a)) == 1
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61), tick=False):
        later = {"Authorization": f"Agent {agent_a.agent_id}", **sign("wrong", "POST", PATH, body)}
        assert _send(agent_a, body, later).status_code == 401
    assert len(_failures(agent_a)) == 2


def test_a_revoked_agent_is_cut_off_at_its_next_request(agent_a: SignedAgent) -> None:
    assert agent_a.batch().status_code == 200
    revoke_agent(actor=SYSTEM, agent=agent_a.agent)
    response = agent_a.batch()
    assert response.status_code == 401
    assert response.json() == {"detail": "agent revoked"}
    assert [(r.after or {})["reason"] for r in _failures(agent_a)] == ["revoked agent"]


def test_one_agent_cannot_sign_as_another(agent_a: SignedAgent, agent_b: SignedAgent) -> None:
    body = _body()
    forged = {
        "Authorization": f"Agent {agent_b.agent_id}",
        **sign(agent_a.secret, "POST", PATH, body),
    }
    assert _send(agent_a, body, forged).status_code == 401
