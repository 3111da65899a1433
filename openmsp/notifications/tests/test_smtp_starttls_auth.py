"""Email through a real SMTP server that requires STARTTLS and then AUTH, as a mail relay of an
MSP's does: a certificate made in the test for "localhost" (trusted through
OPENMSP_SMTP_CA_FILE), LOGIN/PLAIN only after TLS. The right password delivers; a wrong one is a
delivery failure with the server's reason, kept for a retry, and nothing arrives."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from openmsp.monitoring.tests.peers import free_port, make_certificate
from openmsp.notifications import dispatch, outbox
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import email_channel, route

pytestmark = pytest.mark.django_db
USER, PASSWORD = "noc-relay", "s3cret-relay-pass"


class Relay:
    def __init__(self, tmp: Path) -> None:
        self.messages: list[Message] = []
        self.logins: list[str] = []
        self.lock = threading.Lock()
        self.port = free_port()
        tls = make_certificate(tmp, valid_days=30, name="localhost")
        self.ca_file = tmp / "30.crt"
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="localhost",
            tls_context=tls, require_starttls=True, auth_required=True, auth_require_tls=True,
            authenticator=self.authenticate,
            auth_exclude_mechanism=["LOGIN"],  # one mechanism, so one login per attempt
        )  # fmt: skip

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(), PASSWORD.encode(),
        )  # fmt: skip
        with self.lock:
            self.logins.append(f"{mechanism}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)  # let the server answer 535 itself

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.messages.append(message_from_bytes(raw, policy=policy.default))
        return "250 OK"


@pytest.fixture
def relay(tmp_path: Path, settings: Any) -> Iterator[Relay]:
    peer = Relay(tmp_path)
    peer.controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "localhost", peer.port
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = True, False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = USER, PASSWORD
    settings.OPENMSP_SMTP_CA_FILE = str(peer.ca_file)
    settings.DEFAULT_FROM_EMAIL = "OpenMSP <noc@msp.example>"
    settings.EMAIL_TIMEOUT = 10
    try:
        yield peer
    finally:
        peer.controller.stop()


def _send_one(client: Any) -> None:
    route(client, email_channel(client, "noc@hanbit.example"), is_default=True)
    change(client, title="ERP web is down")
    assert dispatch.flush_due_groups(now=later(31)) == 1


def test_mail_goes_through_starttls_and_auth(client_a, relay):
    _send_one(client_a)
    assert outbox.deliver_due(worker="w1") == (1, 0)
    [mail] = relay.messages
    assert mail["To"] == "noc@hanbit.example"
    assert "ERP web is down" in mail.get_content()
    assert relay.logins == ["PLAIN:ok"]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


def test_a_wrong_password_fails_with_the_reason_and_waits_for_a_retry(client_a, relay, settings):
    settings.EMAIL_HOST_PASSWORD = "not-the-password"
    _send_one(client_a)
    assert outbox.deliver_due(worker="w1") == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.PENDING  # a 535 is retried, with backoff
    assert "SMTP 535: authentication refused" in message.last_error
    assert message.next_attempt_at > later(1)
    assert relay.messages == []
    assert relay.logins == ["PLAIN:refused"]


def test_an_untrusted_certificate_is_refused(client_a, relay, settings):
    settings.OPENMSP_SMTP_CA_FILE = ""  # the system's CAs do not know the test's certificate
    _send_one(client_a)
    assert outbox.deliver_due(worker="w1") == (0, 1)
    assert "CERTIFICATE_VERIFY_FAILED" in OutboxMessage.objects.get().last_error
    assert relay.messages == []
    assert relay.logins == []  # the password never left over an unverified connection
