"""`openmsp worker`: django-tasks-db's db_worker with a lease (openmsp.core.workers) and a loop
that outlives a database restart.

db_worker alone would leave a task RUNNING forever when its process is killed, and exits when the
database goes away under it; here the lease hands a dead worker's tasks to the others, and a lost
connection is retried until the database is back.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, close_old_connections
from django_tasks_db.management.commands import db_worker

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
