"""The desk's SMTP/LMTP listener: mail for the address of an enabled mailbox whose intake is
*listener* goes through the same intake as a polled IMAP message (mail_in: threading, loop
detection, attachment limits, Message-ID duplicates), one transaction per mailbox, before the
listener answers 250. `openmsp mail-listener` runs it; `openmsp serve` starts it when
OPENMSP_MAIL_LISTENER is set."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import close_old_connections, connection

from openmsp.core.env import ConfigError
from openmsp.integrations.smtp_listener import ListenerConfig, MailListener
from openmsp.servicedesk import mail_in
from openmsp.servicedesk.models import Mailbox

log = logging.getLogger("openmsp.servicedesk.mail")


def _mailbox(address: str) -> Mailbox | None:
    row: Mailbox | None = (
        Mailbox.objects.filter(
            enabled=True, intake=Mailbox.Intake.LISTENER, address__iexact=address.strip()
        )
        .order_by("pk")
        .first()
    )
    return row


class DeskReceiver:
    """The listener's side of the database (runs in the listener's worker threads)."""

    def accepts(self, address: str) -> bool:
        close_old_connections()
        try:
            return _mailbox(address) is not None
        finally:
            connection.close()  # the worker thread's own connection; none left idle

    def deliver(self, recipients: Sequence[str], raw: bytes, peer: str) -> list[bool]:
        close_old_connections()
        try:
            outcomes: list[bool] = []
            done: set[int] = set()
            for address in recipients:
                box = _mailbox(address)
                if box is None:  # disabled between RCPT and DATA: the sender tries later
                    outcomes.append(False)
                    continue
                if box.pk not in done:
                    row = mail_in.ingest_delivered(mailbox=box, raw=raw, peer=peer)
                    log.info("mail for %s from %s: %s", address, peer, row.outcome)
                    done.add(box.pk)
                outcomes.append(True)
            return outcomes
        finally:
            connection.close()  # the worker thread's own connection; none left idle


def config_from_settings(
    *, host: str | None = None, port: int | None = None, protocol: str | None = None
) -> ListenerConfig:
    where = settings.OPENMSP_MAIL_LISTENER or "127.0.0.1:2525"
    default_host, _, default_port = where.rpartition(":")
    if not default_host or not default_port.isdigit():
        raise ConfigError(f"OPENMSP_MAIL_LISTENER={where!r} is not host:port, e.g. 127.0.0.1:2525.")
    return ListenerConfig(
        host=host or default_host.strip("[]"),
        port=port or int(default_port),
        protocol=protocol or settings.OPENMSP_MAIL_LISTENER_PROTOCOL,
        max_bytes=settings.OPENMSP_MAIL_LISTENER_MAX_BYTES,
        hostname=mail_in_hostname(),
    )


def mail_in_hostname() -> str:
    from openmsp.servicedesk.mail_out import own_domain

    return own_domain()


def listener(config: ListenerConfig) -> MailListener:
    return MailListener(DeskReceiver(), config)
