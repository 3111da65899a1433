"""The scheduled monthly run is split per client: the periodic job only enqueues one durable job
per due client and month (exactly once), each job runs in a real worker on its own, and one
client's failure neither stops the others nor is retried forever."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from openmsp.notifications.tests.peers import SmtpPeer
from openmsp.reports import jobs
from openmsp.reports.models import Report, ReportRun
from openmsp.reports.tests.conftest import AFTER, MONTH, SYSTEM, drain
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import BusinessCalendar, Client, Contract

pytestmark = pytest.mark.django_db(transaction=True)  # the worker drained several times


@pytest.fixture
def broken_b(client_b: Client) -> Client:
    """Client B is due too, but its contract's recipient list holds an address that is not one."""
    tenant_actions.create_contract(
        actor=SYSTEM, client=client_b, name="B 2026", start_date=dt.date(2026, 1, 1),
        calendar=BusinessCalendar.objects.get(client=client_b), report_recipients=["it@saebom.example"],
    )  # fmt: skip
    Contract.objects.filter(client=client_b).update(report_recipients=["not an address"])
    return client_b


def report_jobs() -> Any:
    return DBTaskResult.objects.filter(task_path__endswith="jobs.report_for_client")


def test_the_scheduler_enqueues_one_job_per_client_and_month_exactly_once(
    seeded: dict[str, Any], broken_b: Client, smtp: SmtpPeer
) -> None:
    assert jobs.run(now=AFTER) == {"enqueued": 2, "retried": 0}
    assert Report.objects.count() == 0  # the periodic job computes nothing itself
    assert sorted(j.args_kwargs["args"][0] for j in report_jobs()) == sorted(
        [seeded["client"].pk, broken_b.pk]
    )
    assert jobs.run(now=AFTER) == {"enqueued": 0, "retried": 0}  # a second scheduler tick
    assert report_jobs().count() == 2
    assert set(ReportRun.objects.values_list("month", "state")) == {(MONTH, "queued")}


def test_one_clients_failure_does_not_stop_the_others_and_is_retried_a_bounded_number_of_times(
    seeded: dict[str, Any], broken_b: Client, smtp: SmtpPeer
) -> None:
    jobs.run(now=AFTER)
    drain()
    ok = ReportRun.objects.get(client=seeded["client"])
    failed = ReportRun.objects.get(client=broken_b)
    assert (ok.state, ok.attempts, ok.error) == ("done", 1, "")
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert "not an address" in failed.error
    assert [m["To"] for m in smtp.messages] == ["it@hanbit.example"]

    for attempt in (2, 3):  # the next daily runs retry the failed client only
        assert jobs.run(now=AFTER) == {"enqueued": 0, "retried": 1}
        drain()
        assert ReportRun.objects.get(client=broken_b).attempts == attempt
    assert jobs.run(now=AFTER) == {"enqueued": 0, "retried": 0}  # MAX_ATTEMPTS reached
    assert ReportRun.objects.get(client=seeded["client"]).attempts == 1
    assert len(smtp.messages) == 1


def test_a_fixed_client_is_mailed_on_its_retry_and_a_duplicate_delivery_does_nothing(
    seeded: dict[str, Any], broken_b: Client, smtp: SmtpPeer
) -> None:
    jobs.run(now=AFTER)
    drain()
    Contract.objects.filter(client=broken_b).update(report_recipients=["it@saebom.example"])
    assert jobs.run(now=AFTER) == {"enqueued": 0, "retried": 1}
    drain()
    assert ReportRun.objects.get(client=broken_b).state == "done"
    assert sorted(m["To"] for m in smtp.messages) == ["it@hanbit.example", "it@saebom.example"]
    # The same job delivered again (a worker crash after finishing) finds nothing to claim.
    assert jobs.run_client(broken_b.pk, MONTH, now=AFTER) == "skipped"
    assert len(smtp.messages) == 2


def test_a_run_left_running_by_a_crashed_worker_is_requeued_after_an_hour(
    seeded: dict[str, Any], smtp: SmtpPeer
) -> None:
    jobs.run(now=AFTER)
    ReportRun.objects.update(state="running", updated_at=AFTER)  # claimed, then the worker died
    assert jobs.run(now=AFTER + dt.timedelta(minutes=30)) == {"enqueued": 0, "retried": 0}
    assert jobs.run(now=AFTER + dt.timedelta(hours=2)) == {"enqueued": 0, "retried": 1}
    drain()
    assert ReportRun.objects.get().state == "done"
    assert len(smtp.messages) == 1
