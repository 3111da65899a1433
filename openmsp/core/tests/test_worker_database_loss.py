"""A worker that outlives a lost database connection never leaves its task RUNNING.

The connection is really lost: PostgreSQL terminates the worker's backend (what a server restart
does to every client). Lost at the end of a task, the outcome is written once the worker has
reconnected; lost in the middle, the task goes back to the queue for another run. Before this,
either left the task RUNNING under a worker whose lease stayed fresh, and nobody requeued it
(found by tests/test_scale_out.py, whose PostgreSQL restart fell at the end of a job).
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from openmsp.core.jobs import periodic_task
from openmsp.core.management.commands.worker import LeasedWorker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a SQLite file has no server to lose"
    ),
]


def _terminate(pid: int) -> None:
    """Kill a backend from outside, as a restarting server does."""
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@periodic_task
def lose_the_connection_after_the_work() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    _terminate(pid)
    return 42


@periodic_task
def lose_the_connection_mid_work() -> int:
    # In a transaction, as real work is: atomic() drops the dead connection on its way out and
    # opens a new one, so the worker must judge the error, not the connection it finds after.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
        _terminate(pid)
        cursor.execute("SELECT 1")  # the work's next query meets the dead connection
    return 1


@periodic_task
def time_out_on_a_lock() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '100ms'")
        cursor.execute("LOCK TABLE core_workerlease IN ACCESS EXCLUSIVE MODE")


def _claim(task: Any) -> DBTaskResult[Any, Any]:
    row = DBTaskResult.objects.get(pk=task.enqueue().id)
    row.claim("worker-under-test")
    return row


def _worker() -> LeasedWorker:
    return LeasedWorker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="worker-under-test", excluded_queue_names=[],
    )  # fmt: skip


def test_an_outcome_the_lost_connection_refused_is_written_after_reconnecting() -> None:
    row = _claim(lose_the_connection_after_the_work)
    _worker().run_task(row)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 42
    assert row.worker_ids == ["worker-under-test"], "recorded, not run again"


def test_a_task_whose_connection_died_under_it_goes_back_to_the_queue() -> None:
    row = _claim(lose_the_connection_mid_work)
    _worker().run_task(row)
    row.refresh_from_db()
    assert row.status == "READY", row.traceback
    assert row.started_at is None
    assert row.worker_ids == ["worker-under-test"], "who ran it before stays on record"


def test_an_ordinary_failure_is_still_recorded_as_failed() -> None:
    row = _claim(fail_with_a_query_error)
    _worker().run_task(row)
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert "no_such_table" in row.traceback


@periodic_task
def fail_with_a_query_error() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


def test_a_lock_time_out_is_a_failure_not_a_lost_database() -> None:
    """An OperationalError the server raised on a live connection is the task's own failure."""
    params = connection.get_connection_params()
    with psycopg.connect(**params) as holder:
        holder.execute("LOCK TABLE core_workerlease IN ACCESS EXCLUSIVE MODE")
        row = _claim(time_out_on_a_lock)
        _worker().run_task(row)
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert "lock timeout" in row.traceback
