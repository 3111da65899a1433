"""`openmsp worker`: django-tasks-db's db_worker with a lease (openmsp.core.workers) and a loop
that outlives a database restart.

db_worker alone would leave a task RUNNING forever when its process is killed, and exits when the
database goes away under it; here the lease hands a dead worker's tasks to the others, and a lost
connection is retried until the database is back.

A task is never left RUNNING by a worker that lives on: db_worker's run_task writes the outcome
with three quick retries on the same broken connection, so a database restart at the end of a
task used to leave it RUNNING under a worker whose lease stays fresh, where no one would ever
requeue it. Here the outcome is written again until the database answers, and a task whose own
connection was lost under it (its transaction rolled back) goes back to the queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.management.base import CommandError
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
)
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from openmsp.core import workers

log = logging.getLogger("openmsp.worker")


class LeasedWorker(db_worker.Worker):
    def run(self) -> None:
        keeper = workers.LeaseKeeper(self.worker_id)
        self._renew_until_done()
        keeper.start()
        try:
            while True:
                try:
                    super().run()
                    return
                except (OperationalError, InterfaceError):
                    if not self.running:
                        return
                    log.exception("database unavailable; the worker retries in 1 s")
                    self.startup_delay = False
                    time.sleep(1)
                    close_old_connections()
        finally:
            keeper.stop()

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        """Run one claimed task and record its outcome, whatever happens to the database."""
        self.running_task = True
        try:
            try:
                task = db_task_result.task
                result = db_task_result.task_result
                task_started.send(sender=type(task.get_backend()), task_result=result)
                context: tuple[object, ...] = (
                    (TaskContext(task_result=result),) if task.takes_context else ()
                )
                value = task.call(*context, *result.args, **result.kwargs)
            except BaseException as exc:
                if _connection_lost(exc):
                    log.warning(
                        "task %s lost the database mid-run; back in the queue", db_task_result.pk
                    )
                    self._until_recorded(partial(workers.hand_back, db_task_result))
                    return
                self._until_recorded(partial(db_task_result.set_failed, exc))
            else:
                try:
                    self._until_recorded(partial(db_task_result.set_successful, value))
                except Exception as exc:  # e.g. a return value JSON cannot hold
                    self._until_recorded(partial(db_task_result.set_failed, exc))
            self._finished(db_task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _until_recorded(self, write: Callable[[], object]) -> None:
        """Run *write* until the database takes it: a restart is waited out, not given up on."""
        while True:
            try:
                write()
                return
            except (OperationalError, InterfaceError) as exc:
                if not _connection_lost(exc):
                    raise
                log.warning("database unavailable; recording the task's outcome again in 1 s")
                time.sleep(1)
                close_old_connections()

    @staticmethod
    def _finished(db_task_result: DBTaskResult[Any, Any]) -> None:
        try:
            backend = type(db_task_result.task.get_backend())
            task_finished.send(sender=backend, task_result=db_task_result.task_result)
        except Exception:
            log.exception("task %s finished; its finished signal failed", db_task_result.pk)

    def _renew_until_done(self) -> None:
        """The lease exists before the first claim, or another worker could requeue the task."""
        while True:
            try:
                workers.renew(self.worker_id)
                return
            except (OperationalError, InterfaceError):
                log.exception("database unavailable; the worker retries in 1 s")
                time.sleep(1)
                close_old_connections()


# SQLSTATEs of a server going away: connection exceptions (class 08), admin and crash shutdown,
# and "cannot connect now" (starting up, shutting down, in recovery).
_SERVER_GONE = ("08", "57P01", "57P02", "57P03")


def _connection_lost(exc: BaseException) -> bool:
    """Whether *exc* is the database going away (not a deadlock, a lock time-out, a bad query).

    Judged from the error itself, not by probing the connection afterwards: Django's atomic()
    drops a connection whose rollback failed and opens a new one on its way out, so by the time
    the task's error reaches the worker the connection may well work again.
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if connection.vendor != "postgresql" or cause is None:
        return False  # SQLite: a file does not go away; "database is locked" is retried elsewhere
    sqlstate = getattr(cause, "sqlstate", None)
    # psycopg raises client-side failures (the socket closed, connecting failed) without one
    return sqlstate is None or sqlstate.startswith(_SERVER_GONE)


class Command(db_worker.Command):
    help = "Run background tasks (several may run; a task whose worker died goes to another)."

    def handle(self, *args: Any, **options: Any) -> None:
        # No autoreloader (db_worker's --reload): it would run the tasks in a child process,
        # under another worker id than the one holding the lease.
        self.configure_logging(options["verbosity"])
        queues = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queues:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()
