"""Authenticating agent requests: `Authorization: Agent <id>` plus an HMAC over the request.

Refusals are 401 with a sentence, and an `agent.auth_failed` audit record. So that an attacker
cannot flood the audit chain, failures are recorded at most once a minute per agent (a conditional
UPDATE on the agent row decides, across every web process) and, for ids that name no agent, at
most once a minute per process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

from django.http import HttpRequest
from django.utils import timezone

from openmsp.agent_api import crypto
from openmsp.agent_api.models import Agent
from openmsp.core import audit
from openmsp.core.actor import Actor

TIMESTAMP_WINDOW = 300  # seconds either side of server time
AUDIT_INTERVAL = dt.timedelta(minutes=1)
REVOKED = "agent revoked"  # the protocol's exact words; the agent stops sending on them

_unknown_lock = threading.Lock()
_unknown_last_audit = 0.0


class AgentAuthError(Exception):
    status_code = 401

    def __init__(self, detail: str, *, reason: str, agent: Agent | None = None, claimed: str = ""):
        super().__init__(detail)
        self.detail = detail
        self.reason = reason
        self.agent = agent
        self.claimed = claimed


def agent_actor(agent: Agent) -> Actor:
    return Actor(user=None, via=f"agent:{agent.pk}")


def authenticate(request: HttpRequest, body: bytes) -> Agent:
    """The agent that signed this request, or AgentAuthError (already audited)."""
    try:
        return _verify(request, body)
    except AgentAuthError as exc:
        _audit_failure(request, exc)
        raise


def _verify(request: HttpRequest, body: bytes) -> Agent:
    header = request.headers.get("Authorization", "")
    scheme, _, claimed = header.partition(" ")
    if scheme != "Agent" or not claimed.strip():
        raise AgentAuthError(
            "Send 'Authorization: Agent <agent_id>' with a signed request.", reason="no credentials"
        )
    claimed = claimed.strip()
    try:
        agent_id = uuid.UUID(claimed)
    except ValueError:
        raise AgentAuthError(
            "The agent id is not a UUID.", reason="malformed agent id", claimed=claimed
        ) from None
    agent: Agent | None = Agent.objects.select_related("asset").filter(pk=agent_id).first()
    if agent is None:
        raise AgentAuthError(
            "Unknown agent; enroll it again.", reason="unknown agent", claimed=claimed
        )
    stamp = request.headers.get("X-OpenMSP-Timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - time.time()) > TIMESTAMP_WINDOW:
        raise AgentAuthError(
            "X-OpenMSP-Timestamp must be the current Unix time (within 300 seconds); check the "
            "host's clock.",
            reason="stale or missing timestamp",
            agent=agent,
        )
    secret = crypto.decrypt_secret(agent.secret_encrypted)
    given = request.headers.get("X-OpenMSP-Signature", "")
    method = request.method or ""
    expected = crypto.request_signature(secret or "", stamp, method, request.path, body)
    if secret is None or not crypto.signature_matches(expected, given):
        raise AgentAuthError(
            "The request signature (X-OpenMSP-Signature) does not match.",
            reason="bad signature",
            agent=agent,
        )
    if agent.revoked_at is not None:
        raise AgentAuthError(REVOKED, reason="revoked agent", agent=agent)
    return agent


def _audit_failure(request: HttpRequest, exc: AgentAuthError) -> None:
    if not _may_audit(exc.agent):
        return
    agent = exc.agent
    audit.record(
        actor=agent_actor(agent) if agent else Actor.system("agent"),
        action="agent.auth_failed",
        obj=agent,
        object_type=None if agent else "agent_api.agent",
        object_id=None if agent else exc.claimed[:64],
        category=audit.CATEGORY_ACCESS,
        after={"reason": exc.reason, "method": request.method, "path": request.path[:200]},
    )


def _may_audit(agent: Agent | None) -> bool:
    global _unknown_last_audit
    if agent is not None:
        now = timezone.now()
        recent = now - AUDIT_INTERVAL
        won = (
            Agent.objects.filter(pk=agent.pk)
            .exclude(last_auth_failure_audited_at__gt=recent)
            .update(last_auth_failure_audited_at=now)
        )
        return bool(won)
    with _unknown_lock:
        moment = time.monotonic()
        if _unknown_last_audit and moment - _unknown_last_audit < AUDIT_INTERVAL.total_seconds():
            return False
        _unknown_last_audit = moment
        return True
