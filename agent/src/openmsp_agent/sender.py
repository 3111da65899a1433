"""Drains the outbox to the server: batches strictly in seq order, command results each on its own.

What each answer does (see ``transport.classify``):

- 200 (accepted or duplicate): delete, and for an inventory batch remember its snapshot as the
  acknowledged base;
- no answer, 5xx, 429: keep it, back off exponentially (1 s … 5 min, jitter), retry the same one;
- 401 "agent revoked": stop sending, keep everything, wait for new credentials;
- other 401: keep it, retry at the longest backoff (the clock or the secret may be fixed meanwhile);
- 409 need_full: resend that inventory as a full snapshot, under a new batch id;
- 422: the server will never take it: log it and drop it;
- anything else: keep it, log an error, retry at the longest backoff. Never dropped silently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from openmsp_agent.auth import CredentialStore
from openmsp_agent.collectors.metrics import AgentHealth
from openmsp_agent.encoding import compact_json, parse_rfc3339, rfc3339
from openmsp_agent.inventory_state import InventoryState
from openmsp_agent.outbox import KIND_INVENTORY, Batch, Outbox
from openmsp_agent.timing import Backoff, clock_step
from openmsp_agent.transport import (
    Outcome,
    Response,
    Transport,
    TransportError,
    classify,
    retry_after,
)

log = logging.getLogger("openmsp_agent.sender")

BATCHES_PATH = "/agent/v1/batches"
MAX_BATCH_BYTES = 4 * 1024 * 1024
FLUSH_SECONDS = 5.0


def _shifted(item: Any, step: float) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("t"), str):
        return item
    try:
        return {**item, "t": rfc3339(parse_rfc3339(item["t"]) + step)}
    except (ValueError, OverflowError, OSError):
        return item


def empty_batch(samples: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"samples": samples or [], "inventory": None, "check_results": [], "command_results": []}


class Sender:
    def __init__(
        self,
        transport: Transport,
        outbox: Outbox,
        inventory: InventoryState,
        health: AgentHealth,
        credentials: CredentialStore,
        *,
        checkin_seconds: float = 60.0,
        backoff: Callable[[], Backoff] = Backoff,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.outbox = outbox
        self.inventory = inventory
        self.health = health
        self.credentials = credentials
        self.checkin_seconds = checkin_seconds
        self.wake = threading.Event()  # set by producers, and by whoever stops the agent
        self._batch_backoff = backoff()
        self._result_backoff = backoff()
        self._clock = clock
        self._wall = wall
        self._batch_not_before = 0.0
        self._last_delivery = clock()
        self._failure_reason: str | None = None
        self._last_error = ""
        self._logged_step = 0.0
        self.delivered = 0  # batches and results delivered by this process
        # Local checks (openmsp_agent.checks): the config version reported in every batch, and
        # what to do with the `checks` block of an answer.
        self.checks_version: Callable[[], str | None] = lambda: None
        self.on_checks: Callable[[Any], None] = lambda config: None

    @property
    def batch_failures(self) -> int:
        """Consecutive failed attempts at the oldest batch."""
        return self._batch_backoff.failures

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.credentials.revoked:
                self.credentials.wait_while_revoked(stop)
                continue
            self.wake.clear()
            try:
                progressed = self.step()
            except Exception:
                log.exception("Sender step failed; retrying shortly")
                progressed = False
                self._batch_not_before = self._clock() + self._batch_backoff.next_delay()
            if not progressed:
                self.wake.wait(self._idle_seconds())

    def step(self) -> bool:
        """Try one result and one batch; True when something was delivered or settled."""
        progressed = self._send_result()
        if not self.credentials.revoked:
            self._maybe_check_in()
            progressed = self._send_batch() or progressed
        return progressed

    def flush(self, seconds: float = FLUSH_SECONDS) -> None:
        """On shutdown: deliver what is queued for a few seconds, unless the server is failing."""
        deadline = self._clock() + seconds
        while (
            self._clock() < deadline
            and not self.credentials.revoked
            and self._failure_reason is None
        ):
            if not self.step():
                return

    # -- batches ---------------------------------------------------------------------------

    def _send_batch(self) -> bool:
        if self._clock() < self._batch_not_before:
            return False
        batch = self.outbox.peek()
        if batch is None:
            self._batch_not_before = 0.0  # no retry pending
            return False
        if batch.kind == KIND_INVENTORY and not self.inventory.wants(batch.payload):
            self.outbox.delete(batch.batch_id)  # the server already has exactly this snapshot
            return True
        body = self._body(batch)
        outcome, response = self._post(BATCHES_PATH, body)
        if outcome in (Outcome.DELIVERED, Outcome.DUPLICATE):
            self.outbox.delete(batch.batch_id)
            if batch.kind == KIND_INVENTORY:
                self.inventory.acknowledge(batch.payload, was_full=bool(body["inventory"]["full"]))
            self._delivered(response)
            return True
        if (
            outcome is Outcome.NEED_FULL
            and batch.kind == KIND_INVENTORY
            and not body["inventory"]["full"]
        ):
            log.info("Server asked for a full inventory (base mismatch); resending in full.")
            self.inventory.mark_need_full()
            self.outbox.renew_batch_id(batch.seq)
            return True
        if outcome is Outcome.MALFORMED:
            detail = response.detail() if response else ""
            log.error(
                "Server refused batch seq=%s as malformed (422: %s); dropped.", batch.seq, detail
            )
            self.outbox.delete(batch.batch_id)
            self.outbox.count_refused()  # reported like the other drops (agent.dropped_batches)
            return True
        self._batch_not_before = self._clock() + self._failed(
            outcome, response, self._batch_backoff, f"batch seq={batch.seq}"
        )
        return False

    def _body(self, batch: Batch) -> dict[str, Any]:
        if batch.kind == KIND_INVENTORY:
            content = empty_batch()
            content["inventory"] = self.inventory.body_for(batch.payload)
        else:
            content = self._corrected(batch)
        return {
            "batch_id": batch.batch_id,
            "seq": batch.seq,
            "sent_at": rfc3339(self._wall()),
            **content,
            "agent": self.health.block(),
            "checks_version": self.checks_version(),
        }

    def _corrected(self, batch: Batch) -> dict[str, Any]:
        """The batch with its sample and check times moved by any wall-clock step since it was
        taken (docs/agent.md, "Clock jumps"): the server then stores them at the right time."""
        step = clock_step(
            stored_wall=batch.created_at, stored_mono=batch.mono, stored_boot=batch.boot,
            now_wall=self._wall(), now_mono=self._clock(), boot=self.outbox.boot_id,
        )  # fmt: skip
        if not step:
            return batch.payload
        if step != self._logged_step:
            log.warning(
                "The wall clock was stepped by %+.0f s since batch seq=%s was taken; sending its "
                "times corrected.", step, batch.seq,
            )  # fmt: skip
            self._logged_step = step
        content = dict(batch.payload)
        for key in ("samples", "check_results"):
            items = content.get(key)
            if isinstance(items, list):
                content[key] = [_shifted(item, step) for item in items]
        return content

    def _maybe_check_in(self) -> None:
        """Nothing delivered for a check-in interval (plus 10 %) and nothing queued: send an empty batch."""
        overdue = self._clock() - self._last_delivery > self.checkin_seconds * 1.1
        if overdue and self._failure_reason is None and self.outbox.depth() == 0:
            self.outbox.put(empty_batch())

    # -- command results -------------------------------------------------------------------

    def _send_result(self) -> bool:
        result = self.outbox.peek_result(now=self._wall())
        if result is None:
            return False
        path = f"/agent/v1/commands/{result.command_id}/result"
        outcome, response = self._post(path, result.payload)
        if outcome in (Outcome.DELIVERED, Outcome.DUPLICATE, Outcome.MALFORMED):
            if outcome is Outcome.MALFORMED:
                log.error(
                    "Server refused the result of command %s as malformed; dropped.",
                    result.command_id,
                )
            self.outbox.delete_result(result.command_id)
            self._delivered(None)
            return True
        if outcome is Outcome.REVOKED:
            self._failed(outcome, response, self._result_backoff, "command result")
            return False
        self._result_backoff.failures = result.attempts
        delay = self._failed(
            outcome, response, self._result_backoff, f"result of {result.command_id}"
        )
        self.outbox.defer_result(result.command_id, delay=delay)
        return False

    # -- shared ----------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> tuple[Outcome, Response | None]:
        data = compact_json(body)
        if len(data) > MAX_BATCH_BYTES:
            log.error(
                "%s is %d bytes, above the protocol's 4 MiB; the server will refuse it.",
                path,
                len(data),
            )
        try:
            response = self.transport.send("POST", path, data)
        except TransportError as exc:
            self._last_error = str(exc)
            return Outcome.RETRY, None
        return classify(response), response

    def _failed(
        self, outcome: Outcome, response: Response | None, backoff: Backoff, what: str
    ) -> float:
        """Log the failure (once per streak of the same reason) and return how long to wait."""
        if response is None:
            reason = f"no answer from the server ({self._last_error})"
        else:
            reason = f"HTTP {response.status}: {response.detail()}"
        if outcome is Outcome.REVOKED:
            self.credentials.mark_revoked(response.detail() if response else "revoked")
            return 0.0
        if outcome is Outcome.AUTH_FAILED and self.credentials.reload_if_changed():
            return 0.0  # re-enrolled while running: retry at once with the new secret
        if outcome is Outcome.RETRY:
            delay = (retry_after(response) if response else None) or backoff.next_delay()
        else:
            delay = backoff.longest()
        level = logging.WARNING if outcome is Outcome.RETRY else logging.ERROR
        if reason != self._failure_reason:
            log.log(level, "Sending %s failed, %s; retrying in %.0f s.", what, reason, delay)
            self.outbox.set_meta("last_error", f"{rfc3339(self._wall())} {reason}")
        else:
            log.debug("Sending %s failed again, %s; retrying in %.0f s.", what, reason, delay)
        self._failure_reason = reason
        return delay

    def _delivered(self, response: Response | None) -> None:
        if self._failure_reason is not None:
            log.info("Server reachable again; delivering the queue.")
        self._failure_reason = None
        self._batch_backoff.reset()
        self._last_delivery = self._clock()
        self.delivered += 1
        self.outbox.set_meta("last_success_at", rfc3339(self._wall()))
        data = response.json() if response is not None else None
        if isinstance(data, dict):
            next_checkin = data.get("next_checkin_seconds")
            if (
                isinstance(next_checkin, int | float)
                and not isinstance(next_checkin, bool)
                and next_checkin > 0
            ):
                self.checkin_seconds = float(next_checkin)
            if data.get("checks") is not None:
                self.on_checks(data["checks"])

    def _idle_seconds(self) -> float:
        now = self._clock()
        waits = [60.0]
        if self._failure_reason is None:
            waits.append(max(0.0, self._last_delivery + self.checkin_seconds * 1.1 - now) + 0.05)
        if self._batch_not_before and self.outbox.depth():
            # a retry whose time has already come (a short backoff) is due now, not in a minute
            waits.append(max(0.0, self._batch_not_before - now))
        result_due = self.outbox.next_result_due()
        if result_due is not None:
            waits.append(max(0.0, result_due - self._wall()))
        return max(0.01, min(waits))
