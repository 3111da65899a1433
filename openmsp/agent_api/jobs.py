"""Periodic work of the agent API: expire command runs, forget old batch ids."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from openmsp.agent_api.actions import expire_command_runs
from openmsp.agent_api.models import AgentBatch
from openmsp.core.jobs import periodic_task

BATCH_MEMORY = dt.timedelta(hours=72)  # agents retry a batch for at most 24 h (outbox)


@periodic_task
def expire_runs() -> int:
    return expire_command_runs()


@periodic_task
def forget_old_batches() -> int:
    deleted, _ = AgentBatch.objects.filter(received_at__lt=timezone.now() - BATCH_MEMORY).delete()
    return deleted
