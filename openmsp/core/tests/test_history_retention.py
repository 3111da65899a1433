"""Telemetry history past its retention is deleted by the daily job, in batches, and nothing
younger is touched; pending notifications are never pruned, whatever their age."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from openmsp.core import jobs, retention
from openmsp.interfaces.models import InterfaceRun
from openmsp.interfaces.tests.conftest import make_interface
from openmsp.monitoring.models import CheckResult
from openmsp.monitoring.tests.conftest import make_check
from openmsp.notifications import dispatch
from openmsp.notifications.models import ChangeRecord, OutboxMessage
from openmsp.notifications.tests.conftest import change
from openmsp.notifications.tests.factories import route, webhook_channel

pytestmark = pytest.mark.django_db


def days_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def test_every_kind_of_history_is_registered():
    assert {
        "check_results",
        "notification_changes",
        "notification_outbox",
        "interface_runs",
    } <= set(retention.RULES)


def test_old_rows_go_and_young_rows_stay(alice, client_a, settings):
    settings.OPENMSP_RETENTION_CHECK_RESULTS_DAYS = 30
    settings.OPENMSP_RETENTION_NOTIFICATIONS_DAYS = 60
    settings.OPENMSP_RETENTION_INTERFACE_RUNS_DAYS = 100
    check = make_check(alice, client_a, kind="tcp", target="127.0.0.1", settings={"port": 1})
    CheckResult.objects.bulk_create(
        [CheckResult(for_check=check, at=days_ago(d), status="ok") for d in (1, 29, 31, 300)]
    )
    iface, _token = make_interface(client_a)
    InterfaceRun.objects.bulk_create(
        [InterfaceRun(interface=iface, run_id=str(d), started_at=days_ago(d)) for d in (99, 101)]
    )
    route(client_a, webhook_channel(client_a, "https://hooks.example/x"), group_wait_seconds=0)
    change(client_a)
    change(client_a)
    dispatch.flush_due_groups(now=timezone.now() + dt.timedelta(seconds=1))
    ChangeRecord.objects.update(at=days_ago(61))
    OutboxMessage.objects.update(created_at=days_ago(61))  # old, but still pending: kept

    assert jobs.prune_history.call() == {
        "check_results": 2, "notification_changes": 2, "notification_outbox": 0,
        "interface_runs": 1, "rate_limit_hits": 0,
    }  # fmt: skip
    assert CheckResult.objects.count() == 2  # the 1- and 29-day-old runs
    assert not CheckResult.objects.filter(at__lt=days_ago(30)).exists()
    assert list(InterfaceRun.objects.values_list("run_id", flat=True)) == ["99"]
    assert OutboxMessage.objects.count() == 1

    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT)
    assert retention.prune()["notification_outbox"] == 1


def test_deletes_go_in_batches(alice, client_a):
    check = make_check(alice, client_a, kind="tcp", target="127.0.0.1", settings={"port": 1})
    CheckResult.objects.bulk_create(
        [CheckResult(for_check=check, at=days_ago(400), status="ok") for _ in range(25)]
    )
    assert (
        retention.delete_in_batches(CheckResult.objects.filter(at__lt=days_ago(300)), batch=10)
        == 25
    )
    assert CheckResult.objects.count() == 0
