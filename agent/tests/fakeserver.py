"""A minimal OpenMSP agent API (stdlib http.server) for tests and footprint runs.

It implements enrollment, HMAC request checking, idempotent batches with inventory diff checking,
long-polled signed commands and command results, and lets a test script failures: refuse the next
N requests of a path with a status, revoke the agent, forget the inventory base.

Run it alone for a footprint measurement: ``python tests/fakeserver.py --port 8765``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openmsp_agent.encoding import canonical_json, rfc3339
from openmsp_agent.snapshot import Snapshot, apply_diff, snapshot_hash

TOKEN = "ome_test_token"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class AgentRecord:
    agent_id: str
    secret: str
    machine_id: str
    revoked: bool = False
    inventory: Snapshot | None = None
    inventory_hash: str | None = None


@dataclass
class FakeState:
    intervals: dict[str, float] = field(
        default_factory=lambda: {
            "metrics": 60,
            "inventory": 21600,
            "checkin": 60,
            "command_poll": 25,
        }
    )
    jitter_seconds: float = 0
    agents: dict[str, AgentRecord] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)  # accepted, in arrival order
    batch_ids: set[str] = field(default_factory=set)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    failures: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)


class FakeServer:
    def __init__(self, port: int = 0, *, tls: ssl.SSLContext | None = None) -> None:
        self.state = FakeState()
        self.cond = threading.Condition()
        self.signing_key = Ed25519PrivateKey.generate()
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://localhost:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> FakeServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.httpd_stopping = True
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- scripting -------------------------------------------------------------------------

    def fail_next(self, path_prefix: str, status: int, count: int = 1, **body: Any) -> None:
        with self.cond:
            self.state.failures.extend([(path_prefix, status, body)] * count)

    def revoke_all(self) -> None:
        with self.cond:
            for agent in self.state.agents.values():
                agent.revoked = True

    def forget_inventory(self) -> None:
        with self.cond:
            for agent in self.state.agents.values():
                agent.inventory, agent.inventory_hash = None, None

    def wait_until(self, predicate: Callable[[FakeState], bool], timeout: float = 15.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self.state), timeout)

    def queue_command(
        self, agent_id: str, script: str, *, sign: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        command = {
            "id": str(uuid.uuid4()),
            "kind": "shell",
            "script": script,
            "interpreter": "/bin/sh",
            "timeout_seconds": 30,
            "run_as": "root",
            "not_after": rfc3339(time.time() + 600),
            "agent_id": agent_id,
            **overrides,
        }
        if sign:
            command["signature"] = self.sign(command)
        with self.cond:
            self.state.commands.append(command)
            self.cond.notify_all()
        return command

    def sign(self, command: dict[str, Any]) -> str:
        unsigned = {k: v for k, v in command.items() if k != "signature"}
        return base64.b64encode(self.signing_key.sign(canonical_json(unsigned))).decode()

    # -- request handling (called with self.cond held) -------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        path = urllib.parse.urlsplit(target).path
        for index, (prefix, status, payload) in enumerate(self.state.failures):
            if path.startswith(prefix):
                del self.state.failures[index]
                return status, payload or {"detail": f"scripted {status}"}
        if method == "POST" and path == "/agent/v1/enroll":
            return self._enroll(json.loads(body))
        agent, problem = self._authenticate(method, path, headers, body)
        if agent is None:
            return 401, {"detail": problem}
        if method == "POST" and path == "/agent/v1/batches":
            return self._batch(agent, json.loads(body))
        if method == "POST" and path.startswith("/agent/v1/commands/") and path.endswith("/result"):
            self.state.results[path.split("/")[4]] = json.loads(body)
            return 200, {"accepted": True}
        if method == "GET" and path == "/agent/v1/commands":
            return 200, {"commands": self._take_commands(agent, target)}
        return 404, {"detail": "not found"}

    def _enroll(self, data: dict[str, Any]) -> tuple[int, Any]:
        if data.get("enrollment_token") != TOKEN:
            return 401, {"detail": "unknown enrollment token"}
        existing = next(
            (a for a in self.state.agents.values() if a.machine_id == data["machine_id"]), None
        )
        agent_id = existing.agent_id if existing else str(uuid.uuid4())
        record = AgentRecord(agent_id, secrets.token_urlsafe(32), data["machine_id"])
        if existing:
            record.inventory, record.inventory_hash = existing.inventory, existing.inventory_hash
        self.state.agents[agent_id] = record
        return 201, {
            "agent_id": agent_id,
            "agent_secret": record.secret,
            "command_public_key": self.public_key,
            "intervals": self.state.intervals,
            "jitter_seconds": self.state.jitter_seconds,
        }

    def _authenticate(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[AgentRecord | None, str]:
        auth = headers.get("authorization", "")
        agent = self.state.agents.get(auth.removeprefix("Agent ").strip())
        if agent is None:
            return None, "unknown agent"
        if agent.revoked:
            return None, "agent revoked"
        timestamp = headers.get("x-openmsp-timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return None, "timestamp out of range"
        message = f"{timestamp}.{method}.{path}.".encode() + body
        expected = "sha256=" + hmac.new(agent.secret.encode(), message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-openmsp-signature", "")):
            return None, "bad signature"
        return agent, ""

    def _batch(self, agent: AgentRecord, batch: dict[str, Any]) -> tuple[int, Any]:
        if batch["batch_id"] in self.state.batch_ids:
            return 200, {"accepted": True, "duplicate": True, "next_checkin_seconds": 60}
        inventory = batch.get("inventory")
        if inventory is not None:
            if inventory["full"]:
                snapshot = inventory["snapshot"]
            elif inventory["base_hash"] != agent.inventory_hash or agent.inventory is None:
                return 409, {"detail": "inventory base mismatch", "need_full": True}
            else:
                snapshot = apply_diff(agent.inventory, inventory["changes"])
            if snapshot_hash(snapshot) != inventory["hash"]:
                return 422, {"detail": "inventory hash does not match its content"}
            agent.inventory, agent.inventory_hash = snapshot, inventory["hash"]
        self.state.batch_ids.add(batch["batch_id"])
        self.state.batches.append(batch)
        return 200, {"accepted": True, "duplicate": False, "next_checkin_seconds": 60}

    def _take_commands(self, agent: AgentRecord, target: str) -> list[dict[str, Any]]:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        wait = float(query.get("wait", ["0"])[0])
        deadline = time.monotonic() + wait
        while True:
            mine = [c for c in self.state.commands if c.get("agent_id") in (agent.agent_id, "*")]
            if mine or time.monotonic() >= deadline or self.httpd_stopping:
                for command in mine:
                    self.state.commands.remove(command)
                return mine
            self.cond.wait(deadline - time.monotonic())

    httpd_stopping = False


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request(self.command, self.path, headers, body)
            with server.cond:
                server.state.requests.append(request)
                status, payload = server.handle(self.command, self.path, headers, body)
                request.status = status
                server.cond.notify_all()
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the agent hung up (it is stopping)

        do_GET = _serve
        do_POST = _serve

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenMSP agent API that accepts everything.")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = FakeServer(args.port)
    print(f"listening on {server.url}, enrollment token {TOKEN}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()


if __name__ == "__main__":
    main()
