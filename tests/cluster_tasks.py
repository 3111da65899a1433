"""A durable job for the scale-out tests: its effect commits at the end of a run that takes a
while, so a worker killed mid-run leaves no effect and the run must be done again elsewhere."""

from __future__ import annotations

import os
import time

from django.db import connection, transaction

from openmsp.core.jobs import periodic_task

TABLE = "cluster_job_effect"


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (job integer NOT NULL, pid integer NOT NULL, "
            "at timestamptz NOT NULL DEFAULT now())"
        )


@periodic_task
def durable_job(job: int, seconds: float) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (job, pid) VALUES (%s, %s)", [job, os.getpid()])
        time.sleep(seconds)  # the work; a kill -9 now rolls the insert back
    return job
