"""What other capabilities hear of changes to a client's service terms: a contract, its SLA
targets or a business calendar (an MSP-wide calendar: every client). They register a listener
in their AppConfig.ready; it is called after the change commits, with the client's id (None:
all clients). The service desk recomputes open tickets' SLA clocks from it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import transaction

Listener = Callable[[int | None], None]
_listeners: list[Listener] = []


def on_terms_changed(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def terms_changed(client_id: int | None) -> None:
    for listener in list(_listeners):
        transaction.on_commit(partial(listener, client_id))
