"""Long polls of `GET /agent/v1/commands`: waiting costs a coroutine, not a thread or a query.

Each event loop (one per web worker process) has one Hub: a registry of waiting agents and ONE
polling task that, while anyone waits, asks the database once a second which of the waiting agents
have queued runs (`queued_agent_ids`, one query for all of them) and wakes exactly those. The task
starts with the first waiter and ends with the last.

The polling task runs its query in a thread of its own (`_executor`), with its own database
connection, outside any request: a task that outlived the request that started it must not use
that request's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import uuid
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from openmsp.agent_api.agent_actions import queued_agent_ids

log = logging.getLogger("openmsp.agent_api.longpoll")

POLL_INTERVAL = 1.0  # seconds between two checks for all waiting agents
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openmsp-longpoll")


def _query(agent_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    # One short connection per check (once a second per process): the task may die with its
    # event loop (e.g. a per-request loop under WSGI) before its `finally` runs, and a kept
    # connection would then leak.
    close_old_connections()
    try:
        return queued_agent_ids(agent_ids)
    finally:
        connections.close_all()


def _close() -> None:
    connections.close_all()


class Hub:
    def __init__(self) -> None:
        self._waiters: dict[uuid.UUID, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> frozenset[uuid.UUID]:
        return frozenset(self._waiters)

    async def wait(self, agent_id: uuid.UUID, timeout: float) -> bool:
        """Wait until the agent may have queued runs (True) or *timeout* seconds pass (False)."""
        event = asyncio.Event()
        self._waiters.setdefault(agent_id, set()).add(event)
        self._start()
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            events = self._waiters.get(agent_id, set())
            events.discard(event)
            if not events:
                self._waiters.pop(agent_id, None)

    def wake(self, agent_ids: Iterable[uuid.UUID]) -> None:
        for agent_id in agent_ids:
            for event in self._waiters.get(agent_id, ()):
                event.set()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            # A fresh context: the task must not inherit (and outlive) the request's context.
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._poll(), context=contextvars.Context())

    async def _poll(self) -> None:
        query = sync_to_async(_query, thread_sensitive=False, executor=_executor)
        try:
            while self._waiters:
                await asyncio.sleep(POLL_INTERVAL)
                waiting = list(self._waiters)
                if not waiting:
                    break
                try:
                    self.wake(await query(waiting))
                except RuntimeError:  # the process is shutting down: its executor is gone
                    return
                except Exception:  # a database hiccup must not end the long polls
                    log.exception("long-poll check for queued commands failed; retrying")
        finally:
            with contextlib.suppress(RuntimeError):
                await sync_to_async(_close, thread_sensitive=False, executor=_executor)()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The Hub of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
