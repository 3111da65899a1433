"""`openmsp poller`: run synthetic checks when they fall due (several pollers share the work)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from openmsp.monitoring.poller import Poller, PollerConfig

log = logging.getLogger("openmsp.poller")


class Command(BaseCommand):
    help = "Run the poller: ICMP, TCP, HTTP(S), TLS, DNS and SNMP checks, many at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=settings.OPENMSP_POLLER_CONCURRENCY,
            help="probes in flight at once (OPENMSP_POLLER_CONCURRENCY)",
        )  # fmt: skip
        parser.add_argument(
            "--batch", type=int, default=settings.OPENMSP_POLLER_BATCH,
            help="checks claimed per query (OPENMSP_POLLER_BATCH)",
        )  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        config = PollerConfig(concurrency=max(1, opts["concurrency"]), batch=max(1, opts["batch"]))
        # async_to_sync from this thread: the probes run in an event loop, the database work
        # comes back to this thread (one connection), see openmsp.monitoring.poller.
        async_to_sync(Poller(config).run)(stop.is_set)
