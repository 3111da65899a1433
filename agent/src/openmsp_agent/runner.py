"""The running agent: five threads sharing one stop event.

- metrics:   every ``intervals.metrics`` s, one batch of samples into the outbox;
- inventory: at start, then every ``intervals.inventory`` s, the latest snapshot into the outbox;
- commands:  long-polls for signed commands and runs them;
- checks:    runs the local checks the server configured (openmsp_agent.checks);
- sender:    drains the outbox.

Schedules are ``start + k*interval + jitter`` on the monotonic clock. ``stop()`` (SIGTERM/SIGINT)
ends the loops, lets running commands be killed and reported, flushes the outbox for a few seconds
and closes the database cleanly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from openmsp_agent.auth import CredentialStore
from openmsp_agent.checks import CheckRunner
from openmsp_agent.collectors import current_platform
from openmsp_agent.collectors.inventory import collect_snapshot
from openmsp_agent.collectors.metrics import AgentHealth, MetricsCollector
from openmsp_agent.collectors.platform import Platform
from openmsp_agent.commands import CommandPoller, ExecutedLog
from openmsp_agent.config import AgentConfig, Credentials
from openmsp_agent.encoding import canonical_json
from openmsp_agent.executor import KILL_GRACE
from openmsp_agent.inventory_state import InventoryState
from openmsp_agent.outbox import Outbox
from openmsp_agent.sender import FLUSH_SECONDS, Sender, empty_batch
from openmsp_agent.signatures import VerificationUnavailable, verify_in_child
from openmsp_agent.timing import Backoff, Schedule
from openmsp_agent.transport import HttpTransport, Transport, make_ssl_context

log = logging.getLogger("openmsp_agent")


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        credentials: Credentials,
        *,
        transport: Transport | None = None,
        platform: Platform | None = None,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self.credentials = CredentialStore(config.credentials_path, credentials)
        self.transport = transport or HttpTransport(
            config.server_url or credentials.server,
            credentials=self.credentials.current,
            ssl_context=make_ssl_context(
                config.ca_bundle, insecure_skip_verify=config.insecure_skip_verify
            ),
        )
        self.outbox = Outbox(config.outbox_path, max_bytes=config.outbox_max_bytes)
        self.executed = ExecutedLog(config.outbox_path)
        self.inventory_state = InventoryState(config.inventory_path)
        self.platform = platform or current_platform()
        self.intervals = config.effective_intervals(credentials)
        self.jitter = credentials.jitter_seconds
        self.health = AgentHealth(
            queue_depth=self.outbox.depth, dropped=lambda: self.outbox.dropped
        )
        self.metrics = MetricsCollector(self.platform, self.health)
        self.sender = Sender(
            self.transport,
            self.outbox,
            self.inventory_state,
            self.health,
            self.credentials,
            checkin_seconds=self.intervals.checkin,
            backoff=backoff,
        )
        self.checks = CheckRunner(
            config.state_dir, self._queue_check_results, verify=self._authentic_checks
        )
        self.sender.checks_version = lambda: self.checks.version
        self.sender.on_checks = self.checks.configure
        self.poller = CommandPoller(
            self.transport,
            self.outbox,
            self.executed,
            self.credentials,
            wait_seconds=self.intervals.command_poll,
            on_result=self.sender.wake.set,
            backoff=backoff(),
        )

    def run(self) -> None:
        """Run until ``stop()``; then shut down cleanly."""
        log.info(
            "Agent %s running (metrics every %gs, inventory every %gs, jitter %gs).",
            self.credentials.current().agent_id,
            self.intervals.metrics,
            self.intervals.inventory,
            self.jitter,
        )
        sender = self._thread("sender", self.sender.run)
        others = [
            self._thread("metrics", self._metrics_loop),
            self._thread("inventory", self._inventory_loop),
            self._thread("commands", self.poller.run),
            self._thread("checks", self.checks.loop),
        ]
        self.stop_event.wait()
        log.info("Stopping.")
        self.sender.wake.set()
        sender.join(35)  # at most one request in flight
        self.poller.join(KILL_GRACE + 3)  # running scripts are killed and their results queued
        self.sender.flush(FLUSH_SECONDS)
        self.transport.close()  # unblocks a long poll in progress
        for thread in others:
            thread.join(10)
        self.executed.close()
        self.outbox.close()
        log.info("Stopped.")

    def stop(self) -> None:
        self.stop_event.set()
        self.sender.wake.set()

    def _thread(self, name: str, target: Callable[[threading.Event], None]) -> threading.Thread:
        def body() -> None:
            try:
                target(self.stop_event)
            except Exception:
                if not self.stop_event.is_set():
                    log.exception("The %s loop crashed; stopping the agent so it restarts.", name)
                    self.stop()

        thread = threading.Thread(target=body, name=name, daemon=True)
        thread.start()
        return thread

    def _metrics_loop(self, stop: threading.Event) -> None:
        self.metrics.sample()  # primes the counters, so the first sent sample already has rates
        schedule = Schedule(self.intervals.metrics, self.jitter)
        while schedule.wait(stop):
            self._guarded("metrics", self.collect_metrics)

    def collect_metrics(self) -> None:
        samples = self.metrics.sample()
        self.outbox.put(empty_batch(samples))
        self.sender.wake.set()

    def _authentic_checks(self, config: dict[str, Any]) -> bool:
        creds = self.credentials.current()
        if config.get("agent_id") != creds.agent_id or not isinstance(config.get("signature"), str):
            return False
        unsigned = {k: v for k, v in config.items() if k != "signature"}
        try:
            return verify_in_child(
                creds.command_public_key, canonical_json(unsigned), config["signature"]
            )
        except VerificationUnavailable:
            log.exception("Cannot verify the local checks' signature; keeping the old ones.")
            return False

    def _queue_check_results(self, batch: dict[str, Any]) -> None:
        self.outbox.put(batch)
        self.sender.wake.set()

    def _inventory_loop(self, stop: threading.Event) -> None:
        # At once on start, then on the jittered schedule: a newly installed (or restarted) agent
        # shows its host's inventory within seconds instead of after up to a minute of jitter; the
        # sender sends only what changed since the snapshot the server acknowledged.
        self._guarded("inventory", self.collect_inventory)
        schedule = Schedule(self.intervals.inventory, self.jitter, first_slot=1)
        while schedule.wait(stop):
            self._guarded("inventory", self.collect_inventory)

    def collect_inventory(self) -> None:
        snapshot = collect_snapshot(self.platform)
        # Only the latest snapshot matters; the sender diffs it against what the server has.
        self.outbox.replace_inventory(snapshot)
        self.sender.wake.set()

    def _guarded(self, name: str, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:
            log.exception("Collecting %s failed; trying again at the next interval.", name)
