"""`openmsp mail-listener`: the service desk's SMTP/LMTP listener until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from openmsp.servicedesk import mail_listener


class Command(BaseCommand):
    help = (
        "Accept mail for the desk's listener mailboxes over SMTP or LMTP "
        "(OPENMSP_MAIL_LISTENER, OPENMSP_MAIL_LISTENER_PROTOCOL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="address to listen on (default: OPENMSP_MAIL_LISTENER)")
        parser.add_argument("--port", type=int, help="port (default: OPENMSP_MAIL_LISTENER)")
        parser.add_argument("--protocol", choices=["smtp", "lmtp"])

    def handle(self, *args: Any, **opts: Any) -> None:
        config = mail_listener.config_from_settings(
            host=opts["host"], port=opts["port"], protocol=opts["protocol"]
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        with mail_listener.listener(config):
            self.stdout.write(
                f"mail listener ({config.protocol}) on {config.host}:{config.port}", ending="\n"
            )
            self.stdout.flush()
            stop.wait()
