"""Real peers on 127.0.0.1 for notification tests: an SMTP server (aiosmtpd) and an HTTP
receiver (http.server in a thread). Both record what they received; both can be told to stall
(to catch a worker mid-delivery) or, for HTTP, to answer with chosen status codes."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

from tests.e2e import free_port


@dataclass
class Stall:
    """Hold the peer at one point until released: `reached` tells the test it got there."""

    armed: bool = False
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class MailSink:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.stall = Stall()
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.stall.armed:  # a slow peer: the client waits for the answer to RCPT TO
            self.stall.reached.set()
            while not self.stall.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        with self.lock:
            self.messages.append(message_from_bytes(raw, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpPeer:
    def __init__(self) -> None:
        self.port = free_port()
        self.sink = MailSink()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Message]:
        with self.sink.lock:
            return list(self.sink.messages)

    def __enter__(self) -> SmtpPeer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sink.stall.release.set()
        self.controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpPeer:
    """Answers POSTs with the next status of `statuses` (then 200), recording each request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.stall = Stall()
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with peer.lock:
                    peer.received.append(Received(self.path, dict(self.headers.items()), body))
                    status = peer.statuses.pop(0) if peer.statuses else 200
                if peer.stall.armed:  # received, but slow to answer
                    peer.stall.reached.set()
                    peer.stall.release.wait(60)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def __enter__(self) -> HttpPeer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stall.release.set()
        self.server.shutdown()
        self.server.server_close()


def running_smtp() -> Iterator[SmtpPeer]:
    with SmtpPeer() as peer:
        yield peer


def running_http() -> Iterator[HttpPeer]:
    with HttpPeer() as peer:
        yield peer
