"""The `poller` process: runs synthetic checks when they fall due, many at once.

One asyncio loop probes; the database work (claiming, storing results) runs through
`sync_to_async` in the thread that started the poller, so it uses one connection and never blocks
the probes. The loop claims at most as many checks as it has free concurrency, so a slow target
cannot make it hoard checks other pollers could run. Finished runs queue up and are stored in
small batches, each batch one transaction with its observations (see monitoring.claims).

Run it under `async_to_sync(Poller(...).run)(stop)` from a plain thread: the management command
does, and so do the tests (which therefore see the test's own transaction).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from openmsp.monitoring.claims import Claimed, Outcome, claim_due, record_outcomes
from openmsp.monitoring.probes import run_probe
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.probes.specs import SpecError, parse_settings

log = logging.getLogger("openmsp.poller")
RETRY_PAUSE = 0.5  # seconds between attempts of one run


@dataclass(frozen=True)
class PollerConfig:
    concurrency: int = 200  # probes in flight at once
    batch: int = 100  # checks claimed per query
    idle_seconds: float = 0.25  # pause when nothing is due
    flush_size: int = 200  # results stored per transaction, at most


async def probe_once(claimed: Claimed) -> tuple[ProbeResult, int]:
    """Run the check's probe, retrying a failure `retries` times; return the last result."""
    check = claimed.check
    try:
        spec = parse_settings(check.kind, check.settings)
    except SpecError as exc:
        return ProbeResult("unknown", f"The check's settings are invalid: {exc.message}"), 1
    attempts = 0
    while True:
        attempts += 1
        result = await run_probe(
            check.kind,
            check.target,
            spec,
            check.timeout_seconds,
            check.probe_state,
            scope=check.network_scope,
        )
        if result.status in ("ok", "warning") or attempts > check.retries:
            return result, attempts
        await asyncio.sleep(RETRY_PAUSE)


class Poller:
    def __init__(self, config: PollerConfig | None = None) -> None:
        self.config = config or PollerConfig()
        self.running: set[asyncio.Task[None]] = set()
        self.queue: asyncio.Queue[Outcome] = asyncio.Queue()
        self.lags_ms: deque[int] = deque(maxlen=10_000)  # recent schedule lags, for /metrics
        self.stored = 0
        self.db_seconds = {"claim": 0.0, "record": 0.0}  # wall time spent waiting on the database

    async def run(self, stop: Callable[[], bool]) -> None:
        log.info(
            "poller started: %d concurrent, batches of %d",
            self.config.concurrency,
            self.config.batch,
        )
        writer = asyncio.create_task(self._write_results())
        try:
            while not stop():
                if not await self._claim_and_start():
                    await self._idle()
        finally:
            if self.running:
                await asyncio.wait(self.running)
            await self.queue.join()
            writer.cancel()
        log.warning(
            "poller stopped after storing %d results; database time: claims %.1f s, results %.1f s",
            self.stored, self.db_seconds["claim"], self.db_seconds["record"],
        )  # fmt: skip

    async def _claim_and_start(self) -> bool:
        """Start what is due; True when the batch was full (more may be due right now)."""
        free = self.config.concurrency - len(self.running)
        if free <= 0:
            return False
        limit = min(free, self.config.batch)
        try:
            began = time.perf_counter()
            claimed = await sync_to_async(_claim)(limit)
            self.db_seconds["claim"] += time.perf_counter() - began
        except DatabaseError:
            log.exception("claiming due checks failed; retrying")
            return False
        for item in claimed:
            task = asyncio.create_task(self._run_one(item))
            self.running.add(task)
            task.add_done_callback(self.running.discard)
        return len(claimed) == limit

    async def _idle(self) -> None:
        if len(self.running) >= self.config.concurrency:
            await asyncio.wait(self.running, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(self.config.idle_seconds)

    async def _run_one(self, claimed: Claimed) -> None:
        started = timezone.now()
        lag_ms = max(0, int((started - claimed.scheduled_at).total_seconds() * 1000))
        self.lags_ms.append(lag_ms)
        result, attempts = await probe_once(claimed)
        await self.queue.put(Outcome(claimed, result, timezone.now(), lag_ms, attempts))

    async def _write_results(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.config.flush_size and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                began = time.perf_counter()
                self.stored += await sync_to_async(_record)(batch)
                self.db_seconds["record"] += time.perf_counter() - began
            except DatabaseError:
                log.exception("storing %d results failed", len(batch))
            finally:
                for _ in batch:
                    self.queue.task_done()

    def lag_summary(self) -> dict[str, float]:
        """p50/p99/max of recent schedule lags in milliseconds (empty before the first run)."""
        lags = sorted(self.lags_ms)
        if len(lags) < 2:
            return {"max": float(lags[0])} if lags else {}
        cuts = statistics.quantiles(lags, n=100, method="inclusive")
        return {"p50": cuts[49], "p99": cuts[98], "max": float(lags[-1])}


def _claim(limit: int) -> list[Claimed]:
    try:
        return claim_due(now=timezone.now(), limit=limit)
    except DatabaseError:
        close_old_connections()  # a restarted database: reconnect on the next call
        raise


def _record(batch: list[Outcome]) -> int:
    try:
        return record_outcomes(batch)
    except DatabaseError:
        close_old_connections()
        raise
