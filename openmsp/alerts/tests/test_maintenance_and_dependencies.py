"""Maintenance windows mark problems in maintenance (notifications are told so); a parent that is
down suppresses its children's new problems, which still resolve normally."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from openmsp.alerts import actions
from openmsp.alerts import maintenance as mw
from openmsp.alerts.models import Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.assets import actions as asset_actions
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.core.spine import NoisePolicy

SYSTEM = Actor.system("test")
UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Pure: when is a window open, what does it cover -------------------------------------------


def test_a_one_off_window_is_open_from_its_start_until_just_before_its_end():
    spec = mw.WindowSpec(starts_at=utc(2026, 12, 1, 22), ends_at=utc(2026, 12, 2, 2))
    assert not mw.active_at(spec, utc(2026, 12, 1, 21, 59))
    assert mw.active_at(spec, utc(2026, 12, 1, 22))
    assert mw.active_at(spec, utc(2026, 12, 2, 1, 59))
    assert not mw.active_at(spec, utc(2026, 12, 2, 2))


def test_a_recurring_window_follows_local_time_across_a_dst_change():
    # 02:30 New York time every day for 60 minutes: 07:30 UTC in winter, 06:30 UTC in summer.
    spec = mw.WindowSpec(cron="30 2 * * *", duration_minutes=60, time_zone="America/New_York")
    assert mw.active_at(spec, utc(2026, 1, 15, 7, 45))
    assert not mw.active_at(spec, utc(2026, 1, 15, 6, 45))
    assert mw.active_at(spec, utc(2026, 7, 15, 6, 45))
    assert not mw.active_at(spec, utc(2026, 7, 15, 7, 45))


def test_a_recurring_window_lists_its_occurrences_clipped_to_the_period():
    spec = mw.WindowSpec(cron="0 2 * * 0", duration_minutes=120, time_zone="Asia/Seoul")
    # Sundays 02:00-04:00 KST = Saturdays 17:00-19:00 UTC. December 2026 has 4 such Saturdays.
    found = mw.occurrences(spec, utc(2026, 12, 1), utc(2027, 1, 1))
    assert [a.day for a, _b in found] == [5, 12, 19, 26]
    assert all((b - a) == dt.timedelta(hours=2) for a, b in found)
    clipped = mw.occurrences(spec, utc(2026, 12, 5, 18), utc(2026, 12, 6))
    assert clipped == [(utc(2026, 12, 5, 18), utc(2026, 12, 5, 19))]


def test_bounds_limit_a_recurring_window():
    spec = mw.WindowSpec(
        cron="0 * * * *",
        duration_minutes=10,
        starts_at=utc(2026, 1, 1, 3),
        ends_at=utc(2026, 1, 1, 5, 5),
    )
    found = mw.occurrences(spec, utc(2026, 1, 1), utc(2026, 1, 2))
    assert found == [
        (utc(2026, 1, 1, 3), utc(2026, 1, 1, 3, 10)),
        (utc(2026, 1, 1, 4), utc(2026, 1, 1, 4, 10)),
        (utc(2026, 1, 1, 5), utc(2026, 1, 1, 5, 5)),
    ]


def test_a_scope_must_match_in_every_field_it_sets():
    subject = mw.Subject(
        "check:x:1:http",
        asset_id=3,
        site_id=9,
        asset_tags=frozenset({"db"}),
        labels={"env": "prod"},
    )
    assert mw.covers(mw.Scope(), subject)
    assert mw.covers(mw.Scope(site_id=9, tag="db"), subject)
    assert mw.covers(mw.Scope(tag="env=prod", fingerprint_prefix="check:x:"), subject)
    assert not mw.covers(mw.Scope(site_id=9, asset_id=4), subject)
    assert not mw.covers(mw.Scope(tag="env=dev"), subject)
    assert not mw.covers(mw.Scope(fingerprint_prefix="heartbeat:"), subject)


# --- With the database ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_problem_opened_during_maintenance_is_marked_and_told_as_such(client_a, told):
    now = timezone.now()
    actions.create_window(
        actor=SYSTEM,
        client=client_a,
        name="ERP upgrade",
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=1),
        fingerprint_prefix="check:monitoring.check:7:",
    )
    spine.observe(seen(client_a.pk, at=now))
    spine.observe(seen(client_a.pk, object_id="8", at=now))  # outside the window's scope
    inside, outside = Problem.objects.order_by("object_id")
    assert inside.in_maintenance
    assert not outside.in_maintenance
    assert [(c.problem_id, c.in_maintenance) for c in told] == [
        (inside.pk, True),
        (outside.pk, False),
    ]


@pytest.mark.django_db
def test_a_problem_firing_after_the_window_ended_is_not_in_maintenance(client_a, told):
    now = timezone.now()
    actions.create_window(
        actor=SYSTEM,
        client=client_a,
        name="short",
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now - dt.timedelta(hours=1),
    )
    spine.observe(seen(client_a.pk, at=now))
    assert not Problem.objects.get().in_maintenance
    assert not told[0].in_maintenance


@pytest.mark.django_db
def test_children_of_a_down_router_are_suppressed_and_still_resolve(client_a, told):
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="router")
    host = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web")
    actions.set_dependency(actor=SYSTEM, child=host, parent=router)
    spine.observe(
        seen(
            client_a.pk,
            source="agent",
            object_type="assets.asset",
            object_id=str(router.pk),
            rule="offline",
            asset_id=router.pk,
        )
    )
    parent = Problem.objects.get()
    spine.observe(seen(client_a.pk, object_id="http-web", asset_id=host.pk))
    child = Problem.objects.get(object_id="http-web")
    assert child.suppressed_by == parent
    assert child.state == "firing"
    assert [(c.problem_id, c.suppressed) for c in told] == [(parent.pk, False), (child.pk, True)]
    spine.observe(seen(client_a.pk, "ok", object_id="http-web", asset_id=host.pk))
    child.refresh_from_db()
    assert child.state == "resolved"
    assert told[-1].kind == "resolved"
    assert told[-1].suppressed


@pytest.mark.django_db
def test_a_child_is_not_suppressed_when_its_parent_is_up(client_a):
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="router")
    host = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web")
    actions.set_dependency(actor=SYSTEM, child=host, parent=router)
    spine.observe(seen(client_a.pk, object_id="cpu", rule="cpu", asset_id=router.pk))  # not down
    spine.observe(seen(client_a.pk, object_id="http-web", asset_id=host.pk))
    assert Problem.objects.get(object_id="http-web").suppressed_by is None


@pytest.mark.django_db
def test_a_child_still_failing_when_its_parent_recovers_is_told_then(client_a, told):
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="router")
    host = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web")
    actions.set_dependency(actor=SYSTEM, child=host, parent=router)
    down: dict[str, Any] = {
        "source": "agent",
        "object_type": "assets.asset",
        "object_id": str(router.pk),
        "rule": "offline",
        "asset_id": router.pk,
    }
    spine.observe(seen(client_a.pk, **down))
    spine.observe(seen(client_a.pk, object_id="http-web", asset_id=host.pk))
    spine.observe(seen(client_a.pk, "ok", **down))
    child = Problem.objects.get(object_id="http-web")
    assert child.suppressed_by is None
    assert child.state == "firing"
    assert [e.kind for e in child.events.all()][-1] == "unsuppressed"
    assert [(c.problem_id, c.kind, c.suppressed) for c in told][-1] == (child.pk, "firing", False)


@pytest.mark.django_db
def test_a_pending_child_that_fires_while_its_parent_is_down_is_suppressed(client_a, told):
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="router")
    host = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web")
    actions.set_dependency(actor=SYSTEM, child=host, parent=router)
    slow = NoisePolicy(failures_to_fire=2)
    t = timezone.now()
    spine.observe(seen(client_a.pk, object_id="http-web", asset_id=host.pk, policy=slow, at=t))
    spine.observe(
        seen(
            client_a.pk,
            source="agent",
            object_type="assets.asset",
            object_id=str(router.pk),
            rule="offline",
            asset_id=router.pk,
            at=t,
        )
    )
    spine.observe(
        seen(
            client_a.pk,
            object_id="http-web",
            asset_id=host.pk,
            policy=slow,
            at=t + dt.timedelta(seconds=60),
        )
    )
    child = Problem.objects.get(object_id="http-web")
    assert child.state == "firing"
    assert child.suppressed_by is not None
    assert told[-1].problem_id == child.pk
    assert told[-1].suppressed
