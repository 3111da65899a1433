"""`openmsp deliver_notifications`: a dedicated outbox delivery loop.

The worker's periodic `notifications.deliver` task does the same work every few seconds; this
loop is for installations that want delivery in its own process (and for the crash test). Stop it
with SIGTERM; a kill -9 mid-delivery loses nothing (the lease expires and another worker takes
the message over).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from openmsp.notifications import outbox
from openmsp.notifications.jobs import worker_name


class Command(BaseCommand):
    help = "Deliver due notification outbox messages until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--once", action="store_true", help="One batch, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        name = worker_name()
        self.stdout.write(f"delivering as {name}", ending="\n")
        self.stdout.flush()
        while not stop.is_set():
            try:
                sent, failed = outbox.deliver_due(worker=name)
            finally:
                close_old_connections()
            if options["once"]:
                break
            if not (sent or failed):
                stop.wait(options["tick"])
