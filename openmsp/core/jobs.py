"""Platform housekeeping tasks, run by the worker when the scheduler enqueues them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task

from openmsp.core import audit


def periodic_task(fn: Callable[..., Any]) -> Any:
    """django_tasks' @task() (untyped to mypy), typed at one place for every app's jobs."""
    return task()(fn)


@task()
def purge_audit_log() -> int:
    """Drop audit records past retention (PIPA minimums are enforced in settings)."""
    cutoff = timezone.now() - dt.timedelta(days=settings.OPENMSP_AUDIT_RETENTION_DAYS)
    return audit.purge_older_than(cutoff)


@task()
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@task()
def prune_task_results() -> int:
    """Finished task rows older than a week are history nobody reads."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(days=7)
    deleted: int = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()[0]
    return deleted


@periodic_task
def prune_history() -> dict[str, int]:
    """Telemetry history past its retention (openmsp.core.retention)."""
    from openmsp.core import retention

    return retention.prune()
