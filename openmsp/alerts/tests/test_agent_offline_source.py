"""Agent offline is a source: the offline detector's flip opens an "agent/offline" problem of the
asset, and the agent's next check-in resolves it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from openmsp.agent_api.tests.agents import enroll_new
from openmsp.alerts.models import Problem
from openmsp.assets import actions
from openmsp.assets.models import Asset

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


def test_a_silent_agent_opens_an_offline_problem_and_checking_in_resolves_it(client_a, told):
    agent = enroll_new(client_a, machine_id="a-db-01", hostname="a-db-01")
    with time_machine.travel(T0, tick=False):
        assert agent.batch().status_code == 200
    asset = Asset.objects.get(pk=agent.agent.asset_id)
    actions.detect_offline(now=T0 + dt.timedelta(minutes=5))
    problem = Problem.objects.get()
    assert (problem.source, problem.rule, problem.asset_id) == ("agent", "offline", asset.pk)
    assert problem.state == "firing"
    assert problem.severity == "critical"
    assert problem.fired_at == T0 + dt.timedelta(minutes=5)
    assert told[0].kind == "firing"
    assert told[0].asset_id == asset.pk
    with time_machine.travel(T0 + dt.timedelta(minutes=9), tick=False):
        assert agent.batch().status_code == 200
    problem.refresh_from_db()
    assert problem.state == "resolved"
    assert [c.kind for c in told] == ["firing", "resolved"]
