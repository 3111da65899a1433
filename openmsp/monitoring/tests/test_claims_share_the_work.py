"""Checks are spread over their interval, claimed once, and shared by several pollers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.monitoring import actions
from openmsp.monitoring.claims import claim_due
from openmsp.monitoring.models import Check, CheckResult
from openmsp.monitoring.schedule import next_slot, phase_ms, slot_after
from openmsp.monitoring.tests.conftest import make_check
from openmsp.monitoring.tests.peers import LOOPBACK, Observed, TcpPeer, run_poller_until
from openmsp.tenants.models import Client

SYSTEM = Actor.system("test")


def test_slots_keep_a_stable_phase_inside_the_interval() -> None:
    now = dt.datetime(2026, 12, 1, 9, 0, 0, 123000, tzinfo=dt.UTC)
    first = slot_after(42, 60, now)
    assert now < first <= now + dt.timedelta(seconds=60)
    assert slot_after(42, 60, first) == first + dt.timedelta(seconds=60)
    assert slot_after(42, 60, now) == slot_after(42, 60, now + dt.timedelta(milliseconds=1))
    # A poller far behind skips the missed slots instead of running the check five times.
    late = first + dt.timedelta(minutes=5, seconds=1)
    assert next_slot(42, 60, first, late) == slot_after(42, 60, late)


def test_a_thousand_checks_of_one_interval_are_spread_over_it_not_fired_together() -> None:
    seconds = [phase_ms(pk, 60) // 1000 for pk in range(1, 1001)]
    per_second = [seconds.count(s) for s in range(60)]
    assert max(per_second) < 40  # an even spread is ~17 a second; all at once would be 1000


@pytest.mark.django_db
def test_new_checks_are_first_due_within_one_interval(alice: User, client_a: Client) -> None:
    before = timezone.now()
    check = actions.create_check(
        actor=Actor(user=alice), client=client_a, kind="tcp", name="db", target=LOOPBACK,
        settings={"port": 5432}, interval_seconds=300,
    )  # fmt: skip
    assert check.next_check_at is not None
    assert before < check.next_check_at <= before + dt.timedelta(seconds=300)


@pytest.mark.django_db
def test_a_claimed_check_is_not_claimed_again_while_its_run_holds_the_lease(
    alice: User, client_a: Client
) -> None:
    check = make_check(alice, client_a, kind="tcp", target=LOOPBACK, settings={"port": 9})
    now = timezone.now()
    [claimed] = claim_due(now=now, limit=10)
    assert claimed.check.pk == check.pk
    # Due again in theory (a minute later), but the first run's lease has not run out.
    check.refresh_from_db()
    assert check.next_check_at is not None
    assert check.next_check_at > now
    Check.objects.filter(pk=check.pk).update(next_check_at=now)
    assert claim_due(now=now + dt.timedelta(seconds=5), limit=10) == []
    # A poller that died: once the lease is over, another poller takes the check.
    assert check.claimed_until is not None
    assert len(claim_due(now=check.claimed_until + dt.timedelta(seconds=1), limit=10)) == 1


@pytest.mark.django_db
def test_disabled_checks_are_never_claimed(alice: User, client_a: Client) -> None:
    check = make_check(alice, client_a, kind="tcp", target=LOOPBACK, settings={"port": 9})
    actions.update_check(actor=SYSTEM, check=check, changes={"enabled": False})
    assert Check.objects.get(pk=check.pk).next_check_at is None
    assert claim_due(now=timezone.now() + dt.timedelta(days=1), limit=10) == []


@pytest.mark.django_db
def test_each_run_records_how_late_it_started_against_its_slot(
    alice: User, client_a: Client, observed: Observed, tcp_peer: TcpPeer
) -> None:
    check = make_check(
        alice, client_a, kind="tcp", target=LOOPBACK, settings={"port": tcp_peer.port}
    )
    Check.objects.filter(pk=check.pk).update(next_check_at=timezone.now() - dt.timedelta(seconds=3))
    poller = run_poller_until(lambda: len(observed.of(check.pk)) >= 1)
    result = CheckResult.objects.get(for_check=check)
    assert result.lag_ms is not None
    assert 3000 <= result.lag_ms < 10_000
    assert poller.lag_summary()["max"] >= 3000


@pytest.mark.django_db(transaction=True)
def test_two_pollers_share_the_due_checks_and_run_none_of_them_twice(
    alice: User, client_a: Client, observed: Observed, tcp_peer: TcpPeer
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims are a PostgreSQL matter (SKIP LOCKED); SQLite serialises")
    checks = [
        make_check(alice, client_a, kind="tcp", name=f"port {i}", target=LOOPBACK,
                   settings={"port": tcp_peer.port}, interval_seconds=86400)
        for i in range(130)
    ]  # fmt: skip
    # Only checks whose next slot is well after the test: a second run of those would be a
    # double claim, not their schedule.
    soon = timezone.now() + dt.timedelta(minutes=10)
    checks = [c for c in checks if slot_after(c.pk, 86400, timezone.now()) > soon][:120]
    Check.objects.exclude(pk__in=[c.pk for c in checks]).delete()
    from openmsp.monitoring.poller import PollerConfig

    config = PollerConfig(batch=7, concurrency=20, idle_seconds=0.01)
    done = lambda: CheckResult.objects.count() >= len(checks)  # noqa: E731

    def one_poller() -> None:
        try:
            run_poller_until(lambda: len(observed.items) >= len(checks), config=config)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done()
    runs = sorted(o.object_id for o in observed.items)
    assert runs == sorted(str(c.pk) for c in checks), "a check ran twice or not at all"
