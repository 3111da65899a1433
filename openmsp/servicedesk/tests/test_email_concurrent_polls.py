"""Polls of one mailbox running at once (two schedulers, a slow run overlapping the next) open
one ticket per message: the mailbox row lock and the per-UID record decide who handles it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from openmsp.core.actor import Actor
from openmsp.servicedesk import mail_actions, mail_in
from openmsp.servicedesk.models import Mailbox, MailMessage, Ticket
from openmsp.servicedesk.tests.mailpeers import DESK_PASSWORD, DESK_USER, DovecotPeer
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks between connections: PostgreSQL (SQLite has one writer at a time)",
    ),
]
SYSTEM = Actor.system("test")


@pytest.fixture
def dovecot() -> Iterator[DovecotPeer]:
    peer = DovecotPeer()
    yield peer
    peer.stop()


def test_four_overlapping_polls_open_one_ticket_per_message(
    dovecot: DovecotPeer, client_a: Client
) -> None:
    tenant_actions.create_contact(
        actor=SYSTEM, client=client_a, name="Kim", email="kim@hanbit.example"
    )
    box = mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Hanbit support", address="support@msp.example",
        host="127.0.0.1", port=dovecot.port, security="none", username=DESK_USER,
        password=DESK_PASSWORD,
    )  # fmt: skip
    for n in range(12):
        dovecot.append(
            f"From: kim@hanbit.example\nSubject: Issue {n}\nMessage-ID: <i{n}@hanbit.example>\n\n"
            f"Body {n}\n".encode()
        )
    errors: list[BaseException] = []

    def run() -> None:
        try:
            mail_in.poll(Mailbox.objects.get(pk=box.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert not errors, errors
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == sorted(
        f"Issue {n}" for n in range(12)
    )
    assert MailMessage.objects.filter(direction="in").count() == 12
    assert Mailbox.objects.get(pk=box.pk).last_uid == 12
