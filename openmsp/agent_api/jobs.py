"""Periodic work of the agent API: expire command runs, forget old batch ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django_tasks import task

from openmsp.agent_api.actions import expire_command_runs
from openmsp.agent_api.models import AgentBatch

BATCH_MEMORY = dt.timedelta(hours=72)  # agents retry a batch for at most 24 h (outbox)


def periodic_task(fn: Callable[..., Any]) -> Any:
    """django_tasks' @task() (untyped to mypy), typed at one place."""
    return task()(fn)


@periodic_task
def expire_runs() -> int:
    return expire_command_runs()


@periodic_task
def forget_old_batches() -> int:
    deleted, _ = AgentBatch.objects.filter(received_at__lt=timezone.now() - BATCH_MEMORY).delete()
    return deleted
