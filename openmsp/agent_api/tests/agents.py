"""A test agent: enrolls over the real endpoint and signs its requests like openmsp-agent does."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.test import AsyncClient
from django.test import Client as HttpClient

from openmsp.agent_api import actions
from openmsp.agent_api.models import Agent, EnrollmentToken
from openmsp.core.actor import Actor
from openmsp.tenants.models import Client

SYSTEM = Actor.system("test")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def make_token(client: Client, **kwargs: Any) -> tuple[EnrollmentToken, str]:
    return actions.create_enrollment_token(actor=SYSTEM, client=client, **kwargs)


def sign(
    secret: str, method: str, path: str, body: bytes, stamp: int | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time()) if stamp is None else stamp)
    message = f"{timestamp}.{method}.{path}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {"X-OpenMSP-Timestamp": timestamp, "X-OpenMSP-Signature": f"sha256={digest}"}


@dataclass
class SignedAgent:
    agent_id: str
    secret: str
    public_key: str
    enrollment: dict[str, Any]
    http: HttpClient = field(default_factory=HttpClient)
    seq: int = 0

    @property
    def agent(self) -> Agent:
        agent: Agent = Agent.objects.select_related("asset").get(pk=self.agent_id)
        return agent

    def headers(self, method: str, path: str, body: bytes, **kwargs: Any) -> dict[str, str]:
        return {
            "Authorization": f"Agent {self.agent_id}",
            **sign(self.secret, method, path, body, **kwargs),
        }

    def post(self, path: str, payload: Any, *, raw: bytes | None = None, **sign_kwargs: Any) -> Any:
        body = raw if raw is not None else json.dumps(payload).encode()
        return self.http.generic(
            "POST",
            path,
            data=body,
            content_type="application/json",
            headers=self.headers("POST", path, body, **sign_kwargs),
        )

    def batch(
        self,
        *,
        samples: list[dict[str, Any]] | None = None,
        batch_id: str | None = None,
        **extra: Any,
    ) -> Any:
        self.seq += 1
        payload = {
            "batch_id": batch_id or str(uuid.uuid4()),
            "seq": self.seq,
            "sent_at": iso(dt.datetime.now(dt.UTC)),
            "samples": samples or [],
            **extra,
        }
        return self.post("/agent/v1/batches", payload)

    def get_headers(self, path: str) -> dict[str, str]:
        return self.headers("GET", path, b"")

    async def poll(self, wait: int) -> Any:
        path = "/agent/v1/commands"
        return await AsyncClient().get(path, {"wait": str(wait)}, headers=self.get_headers(path))


def enroll(
    token_text: str,
    *,
    machine_id: str = "machine-1",
    hostname: str = "web-01",
    http: HttpClient | None = None,
) -> SignedAgent:
    http = http or HttpClient()
    response = http.post(
        "/agent/v1/enroll",
        {
            "enrollment_token": token_text,
            "machine_id": machine_id,
            "hostname": hostname,
            "os": "linux",
            "agent_version": "0.1.0",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    return SignedAgent(
        data["agent_id"], data["agent_secret"], data["command_public_key"], data, http
    )


def enroll_new(client: Client, **kwargs: Any) -> SignedAgent:
    _token, text = make_token(client)
    return enroll(text, **kwargs)
