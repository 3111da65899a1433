"""The late detector's shape: scheduled every 15 s, and finding due heartbeats is one query on
the partial index of deadlines (no table-wide recomputation)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from openmsp.core import scheduler
from openmsp.heartbeats import ping_actions
from openmsp.heartbeats.models import Heartbeat
from openmsp.heartbeats.tests.conftest import T0


@pytest.mark.django_db
def test_finding_due_heartbeats_is_one_query_on_the_partial_deadline_index(
    django_assert_num_queries,
):
    with django_assert_num_queries(1):
        assert ping_actions.detect_late(now=T0) == []
    sql, params = (
        Heartbeat.objects.filter(alert_after__lte=T0)
        .order_by("alert_after")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "heartbeat_deadline" in plan


def test_the_late_detector_is_scheduled_every_fifteen_seconds():
    job = scheduler.REGISTRY["heartbeats.detect_late"]
    assert job.every == dt.timedelta(seconds=15)
    assert job.task().name == "detect_late"
