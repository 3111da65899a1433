"""Periodic notification work, enqueued by the scheduler every few seconds (see apps.py).

Each job is idempotent and safe to run in several workers at once: it claims what it does.
"""

from __future__ import annotations

import os
import socket

from django_tasks import task

from openmsp.notifications import dispatch, outbox


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@task()
def flush() -> int:
    """Send due groups' messages to the outbox, and wake a worker to deliver them now."""
    sent = dispatch.flush_due_groups()
    if sent:
        deliver.enqueue()
    return sent


@task()
def escalate() -> int:
    return dispatch.escalate_due()


@task()
def deliver() -> int:
    sent, _failed = outbox.deliver_due(worker=worker_name())
    return sent
