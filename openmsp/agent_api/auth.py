"""Authenticating agent requests: `Authorization: Agent <id>` plus an HMAC over the request.

Refusals are 401 with a sentence, and an `agent.auth_failed` audit record. So that an attacker
cannot flood the audit chain, failures are recorded at most once a minute per agent (a conditional
UPDATE on the agent row decides, across every web process) and, for ids that name no agent, at
most once a minute per process.

Batches, the hot path, verify the signature against a credential remembered per process
(`authenticate_batch`), saving the agent lookup and the secret's decryption. A remembered
credential is never trusted alone: the batch's first write is conditional on the agent row being
unrevoked and holding the same encrypted secret (see agent_actions.accept_batch), so a revoke or a
re-enrollment takes effect at the very next batch, in every process, at no extra round trip.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass

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

CREDENTIAL_TTL = 300.0  # seconds; only bounds memory use, the write re-checks every credential
CREDENTIAL_LIMIT = 100_000


@dataclass(frozen=True)
class Credential:
    """What a batch needs of its agent, remembered per process (see the module docstring)."""

    agent_id: uuid.UUID
    client_id: int
    asset_id: int
    secret_encrypted: str
    secret: str | None
    loaded_at: float

    @classmethod
    def of(cls, agent: Agent) -> Credential:
        return cls(
            agent_id=agent.pk,
            client_id=agent.client_id,
            asset_id=agent.asset_id,
            secret_encrypted=agent.secret_encrypted,
            secret=crypto.decrypt_secret(agent.secret_encrypted),
            loaded_at=time.monotonic(),
        )


_credentials: dict[uuid.UUID, Credential] = {}


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


def authenticate_batch(request: HttpRequest, body: bytes) -> Credential:
    """The credential this request is signed with, from memory when possible. Not proof that the
    agent is still enrolled: the caller's write must check it (see the module docstring)."""
    try:
        agent_id = _claimed_id(request)
    except AgentAuthError as exc:
        _audit_failure(request, exc)
        raise
    remembered = _credentials.get(agent_id)
    if remembered is not None and time.monotonic() - remembered.loaded_at < CREDENTIAL_TTL:
        try:
            _check_signature(request, body, remembered.secret)
        except AgentAuthError:
            forget(agent_id)  # maybe re-enrolled with a new secret: ask the database
        else:
            return remembered
    agent = authenticate(request, body)
    credential = Credential.of(agent)
    if len(_credentials) >= CREDENTIAL_LIMIT:
        _credentials.clear()
    _credentials[agent_id] = credential
    return credential


def forget(agent_id: uuid.UUID) -> None:
    _credentials.pop(agent_id, None)


def _claimed_id(request: HttpRequest) -> uuid.UUID:
    header = request.headers.get("Authorization", "")
    scheme, _, claimed = header.partition(" ")
    if scheme != "Agent" or not claimed.strip():
        raise AgentAuthError(
            "Send 'Authorization: Agent <agent_id>' with a signed request.", reason="no credentials"
        )
    claimed = claimed.strip()
    try:
        return uuid.UUID(claimed)
    except ValueError:
        raise AgentAuthError(
            "The agent id is not a UUID.", reason="malformed agent id", claimed=claimed
        ) from None


def _check_signature(request: HttpRequest, body: bytes, secret: str | None) -> None:
    """Timestamp window and HMAC; AgentAuthError (without its agent: the caller adds it)."""
    stamp = request.headers.get("X-OpenMSP-Timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - time.time()) > TIMESTAMP_WINDOW:
        raise AgentAuthError(
            "X-OpenMSP-Timestamp must be the current Unix time (within 300 seconds); check the "
            "host's clock.",
            reason="stale or missing timestamp",
        )
    given = request.headers.get("X-OpenMSP-Signature", "")
    method = request.method or ""
    expected = crypto.request_signature(secret or "", stamp, method, request.path, body)
    if secret is None or not crypto.signature_matches(expected, given):
        raise AgentAuthError(
            "The request signature (X-OpenMSP-Signature) does not match.", reason="bad signature"
        )


def _verify(request: HttpRequest, body: bytes) -> Agent:
    agent_id = _claimed_id(request)
    claimed = str(agent_id)
    agent: Agent | None = Agent.objects.select_related("asset").filter(pk=agent_id).first()
    if agent is None:
        raise AgentAuthError(
            "Unknown agent; enroll it again.", reason="unknown agent", claimed=claimed
        )
    try:
        _check_signature(request, body, crypto.decrypt_secret(agent.secret_encrypted))
    except AgentAuthError as exc:
        exc.agent = agent
        raise
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
