"""An ICMP check of 127.0.0.1, run by the poller: latency and loss, judged by its thresholds.

Loopback cannot be made to drop pings without touching the machine for everyone, so the fault
here is a latency limit the host cannot meet, then a limit it meets again.
"""

from __future__ import annotations

import pytest

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.monitoring import actions
from openmsp.monitoring.tests.conftest import due_now, make_check
from openmsp.monitoring.tests.peers import LOOPBACK, Observed, run_poller_until
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


def test_a_ping_check_of_loopback_reports_latency_and_no_loss_and_follows_its_limits(
    alice: User, client_a: Client, observed: Observed
) -> None:
    check = make_check(
        alice, client_a, kind="icmp", target=LOOPBACK, settings={"count": 3, "interval_ms": 20}
    )
    run_poller_until(lambda: len(observed.of(check.pk)) >= 1)
    first = observed.of(check.pk)[0]
    assert first.status == "ok", first.summary
    assert first.details["loss_percent"] == 0
    assert first.details["received"] == 3
    assert first.details["latency_ms"] is not None
    assert first.details["latency_ms"] > 0

    limits = dict(check.settings, latency_warning_ms=0.0001)  # no host answers that fast
    actions.update_check(actor=Actor(user=alice), check=check, changes={"settings": limits})
    due_now(check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 2)
    assert observed.statuses(check.pk)[1] == "warning"

    limits = dict(check.settings, latency_warning_ms=1000)
    actions.update_check(actor=Actor(user=alice), check=check, changes={"settings": limits})
    due_now(check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 3)
    assert observed.statuses(check.pk) == ["ok", "warning", "ok"]
