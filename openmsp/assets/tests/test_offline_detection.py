"""Offline detection: a deadline per asset, found with one indexed query, claimed per row; signals
when an asset goes offline and when it comes back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection

from openmsp.agent_api.tests.agents import SignedAgent
from openmsp.assets import actions
from openmsp.assets.models import Asset, AssetStatusChange
from openmsp.assets.signals import asset_offline, asset_online
from openmsp.core import scheduler

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def heard() -> Iterator[dict[str, list[Any]]]:
    """What the monitoring capability would hear."""
    got: dict[str, list[Any]] = {"offline": [], "online": []}

    def on_offline(sender, asset, at, **kwargs):
        got["offline"].append((asset.pk, at))

    def on_online(sender, asset, at, **kwargs):
        got["online"].append((asset.pk, at))

    asset_offline.connect(on_offline)
    asset_online.connect(on_online)
    yield got
    asset_offline.disconnect(on_offline)
    asset_online.disconnect(on_online)


def _asset(agent: SignedAgent) -> Asset:
    return Asset.objects.get(pk=agent.agent.asset_id)


def test_an_asset_that_stops_checking_in_goes_offline_after_five_minutes(
    agent_a: SignedAgent, heard, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(T0, tick=False):
        assert agent_a.batch().status_code == 200
    asset = _asset(agent_a)
    assert asset.status == "online"
    assert asset.offline_after == T0 + dt.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.detect_offline(now=T0 + dt.timedelta(seconds=299)) == []
        assert actions.detect_offline(now=T0 + dt.timedelta(seconds=300)) == [asset.pk]
        assert actions.detect_offline(now=T0 + dt.timedelta(seconds=315)) == []  # no re-flip
    assert _asset(agent_a).status == "offline"
    change = AssetStatusChange.objects.get(asset=asset, status="offline")
    assert (change.previous, change.status, change.at) == (
        "online",
        "offline",
        T0 + dt.timedelta(minutes=5),
    )
    assert heard["offline"] == [(asset.pk, T0 + dt.timedelta(minutes=5))]


def test_the_next_check_in_brings_it_back_online_with_a_signal(
    agent_a: SignedAgent, heard, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(T0, tick=False):
        agent_a.batch()
    actions.detect_offline(now=T0 + dt.timedelta(minutes=6))
    back = T0 + dt.timedelta(minutes=20)
    with time_machine.travel(back, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert agent_a.batch().status_code == 200
    asset = _asset(agent_a)
    assert asset.status == "online"
    assert asset.last_seen_at == back
    history = list(
        AssetStatusChange.objects.filter(asset=asset)
        .order_by("at")
        .values_list("previous", "status")
    )
    assert history == [("unknown", "online"), ("online", "offline"), ("offline", "online")]
    assert heard["online"] == [(asset.pk, back)]


def test_the_first_check_in_is_recorded_but_is_not_a_recovery(
    agent_a: SignedAgent, heard, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        agent_a.batch()
    assert heard["online"] == []
    assert AssetStatusChange.objects.filter(previous="unknown", status="online").count() == 1


def test_a_per_asset_offline_period_overrides_the_default(agent_a: SignedAgent) -> None:
    Asset.objects.filter(pk=agent_a.agent.asset_id).update(offline_period_seconds=60)
    with time_machine.travel(T0, tick=False):
        agent_a.batch()
    assert actions.detect_offline(now=T0 + dt.timedelta(seconds=61)) == [agent_a.agent.asset_id]


def test_a_check_in_that_moved_the_deadline_wins_over_a_stale_read(agent_a: SignedAgent) -> None:
    with time_machine.travel(T0, tick=False):
        agent_a.batch()
    with time_machine.travel(T0 + dt.timedelta(minutes=4), tick=False):
        agent_a.batch()
    assert actions.detect_offline(now=T0 + dt.timedelta(minutes=6)) == []
    assert _asset(agent_a).status == "online"


def test_retired_and_manual_assets_are_never_flagged(
    agent_a: SignedAgent, client_a, system_actor
) -> None:
    printer = actions.create_asset(actor=system_actor, client=client_a, name="Printer")
    with time_machine.travel(T0, tick=False):
        agent_a.batch()
    actions.retire_asset(actor=system_actor, asset=_asset(agent_a))
    assert actions.detect_offline(now=T0 + dt.timedelta(days=1)) == []
    assert Asset.objects.get(pk=printer.pk).status == "unknown"


def test_finding_due_assets_is_one_query_on_a_partial_index(django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        actions.detect_offline(now=T0)
    sql, params = (
        Asset.objects.filter(status="online", offline_after__lte=T0)
        .order_by("offline_after")
        .values_list("pk", "offline_after")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "asset_online_deadline" in plan


def test_the_detector_is_scheduled_every_fifteen_seconds() -> None:
    job = scheduler.REGISTRY["assets.detect_offline"]
    assert job.every == dt.timedelta(seconds=15)
    assert job.task().name == "detect_offline"
