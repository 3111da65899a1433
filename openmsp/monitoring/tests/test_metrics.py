"""/metrics reports the poller's schedule lag over the last minute."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from openmsp.accounts.models import User
from openmsp.monitoring.models import CheckResult
from openmsp.monitoring.tests.conftest import make_check
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_show_schedule_lag_of_the_last_minute_only(alice: User, client_a: Client) -> None:
    check = make_check(alice, client_a, kind="tcp", target="127.0.0.1", settings={"port": 9})
    now = timezone.now()
    for n in range(1, 101):  # 10 ms .. 1000 ms
        CheckResult.objects.create(for_check=check, at=now, status="ok", lag_ms=n * 10)
    # An old, very late run is outside the window and must not count.
    CheckResult.objects.create(
        for_check=check, at=now - dt.timedelta(minutes=5), status="ok", lag_ms=999_000
    )
    page = HttpClient().get("/metrics")
    assert page.status_code == 200
    got = _samples(page.content.decode())
    assert got[("openmsp_poller_runs_last_minute", ())] == 100
    name = "openmsp_poller_schedule_lag_seconds"
    lag = {q: got[(name, (("quantile", q),))] for q in ("0.5", "0.99", "1")}
    assert lag["1"] == 1.0  # the 999 s run five minutes ago is not counted
    assert 0.98 <= lag["0.99"] <= 1.0
    assert 0.49 <= lag["0.5"] <= 0.51
    assert got[("openmsp_collector_up", (("collector", "monitoring"),))] == 1
    assert "Hanbit" not in page.content.decode()


def test_metrics_with_no_recent_runs_report_zero_runs_and_no_lag(db: None) -> None:
    got = _samples(HttpClient().get("/metrics").content.decode())
    assert got[("openmsp_poller_runs_last_minute", ())] == 0
    assert not [k for k in got if k[0] == "openmsp_poller_schedule_lag_seconds"]
