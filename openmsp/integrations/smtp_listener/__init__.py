"""An SMTP or LMTP server (aiosmtpd) that hands each accepted message to a synchronous
`Receiver`: the service desk's listener (openmsp.servicedesk.mail_listener) is one.

The receiver runs in worker threads (it talks to the database), never on the event loop, so a
slow transaction does not stall the other connections. A recipient is checked at RCPT (550 for
an unknown one, before any data is sent); the message size is bounded at DATA (552, from
aiosmtpd's SIZE limit, advertised in EHLO/LHLO); the final 250 is sent only after the receiver
has returned, i.e. after its transaction committed. A receiver that raises answers 451 (try
again later), so the sender keeps the message: nothing acknowledged is lost.

LMTP (RFC 2033) answers DATA once per accepted recipient, in RCPT order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("openmsp.mail.listener")
MAX_RECIPIENTS = 100


class Receiver(Protocol):
    def accepts(self, address: str) -> bool:
        """Whether mail for this address is taken (checked at RCPT)."""

    def deliver(self, recipients: Sequence[str], raw: bytes, peer: str) -> list[bool]:
        """Store the message for each recipient, durably; one outcome per recipient (False: a
        temporary failure for that one). Raising is a temporary failure for all."""


@dataclass(frozen=True)
class ListenerConfig:
    host: str
    port: int
    protocol: str = "smtp"  # smtp | lmtp
    max_bytes: int = 25 * 1024 * 1024
    hostname: str = "openmsp"
    threads: int = 4


class _Handler:
    def __init__(self, receiver: Receiver, config: ListenerConfig) -> None:
        self.receiver = receiver
        self.lmtp = config.protocol == "lmtp"
        self.pool = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="mail-in")

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            known = await self._call(self.receiver.accepts, address)
        except Exception:
            log.exception("mail listener: checking recipient %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        rcpts = list(envelope.rcpt_tos)
        peer = str(session.peer[0]) if isinstance(session.peer, tuple) else str(session.peer)
        try:
            outcomes = await self._call(self.receiver.deliver, rcpts, raw, peer)
        except Exception:
            log.exception("mail listener: a message from %s could not be stored", peer)
            outcomes = [False] * len(rcpts)
        ok, failed = "250 2.0.0 Message accepted", "451 4.3.0 Not stored, try again later"
        if self.lmtp:
            return "\r\n".join(ok if stored else failed for stored in outcomes)
        return ok if all(outcomes) else failed

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class _Controller(Controller):
    def __init__(self, handler: _Handler, config: ListenerConfig) -> None:
        super().__init__(
            handler, hostname=config.host, port=config.port, server_hostname=config.hostname,
            data_size_limit=config.max_bytes, enable_SMTPUTF8=True,
        )  # fmt: skip
        self._lmtp = handler.lmtp

    def factory(self) -> SMTP:
        cls = LMTP if self._lmtp else SMTP
        return cls(self.handler, **self.SMTP_kwargs)


class MailListener:
    """Start/stop the server in a background thread (its own event loop)."""

    def __init__(self, receiver: Receiver, config: ListenerConfig) -> None:
        self.config = config
        self.handler = _Handler(receiver, config)
        self.controller = _Controller(self.handler, config)

    def start(self) -> None:
        self.controller.start()
        log.info(
            "mail listener (%s) on %s:%s", self.config.protocol, self.config.host, self.config.port
        )

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()

    def __enter__(self) -> MailListener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
