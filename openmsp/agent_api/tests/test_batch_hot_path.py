"""The hot path of batches: a remembered credential and the one-statement batch (PostgreSQL) keep
every guarantee of the general path. On SQLite the same stories run through the general path."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.agent_api import actions, auth
from openmsp.agent_api.models import Agent, AgentBatch
from openmsp.agent_api.tests.agents import SYSTEM, SignedAgent, enroll, iso, make_token
from openmsp.assets.models import Asset, AssetStatusChange
from openmsp.core.models import AuditRecord
from openmsp.metrics import rollups
from openmsp.metrics.ingest import clear_cache
from openmsp.metrics.models import Rollup5m, Sample
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db

Warm = Callable[[SignedAgent], Any]


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    clear_cache()
    rollups.forget_watermarks()
    auth._credentials.clear()
    yield
    clear_cache()
    rollups.forget_watermarks()
    auth._credentials.clear()


@pytest.fixture
def warm(django_capture_on_commit_callbacks: Any) -> Warm:
    """Send a first batch whose on-commit work runs, so the process remembers the agent's
    series (as a server does after the first batch it commits)."""

    def send(agent: SignedAgent) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = agent.batch(samples=_samples())
        assert response.status_code == 200
        return response

    return send


def _samples(at: dt.datetime | None = None) -> list[dict[str, Any]]:
    t = iso(at or dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    return [
        {"t": t, "m": "cpu.percent", "v": 12.5, "l": {"cpu": "total"}},
        {"t": t, "m": "mem.used_percent", "v": 40, "l": {}},
    ]


def _failures(agent: SignedAgent) -> list[str]:
    records = AuditRecord.objects.filter(action="agent.auth_failed", object_id=agent.agent_id)
    return [(r.after or {})["reason"] for r in records]


def test_steady_batches_are_stored_once_each_in_few_statements(
    agent_a: SignedAgent, warm: Warm
) -> None:
    warm(agent_a)
    with CaptureQueriesContext(connection) as queries:
        response = agent_a.batch(samples=_samples(), agent={"rss_bytes": 31_000_000})
    assert response.json()["duplicate"] is False
    assert Sample.objects.count() == 4
    agent = Agent.objects.get(pk=agent_a.agent_id)
    assert agent.last_batch_seq == 2
    assert agent.health == {"rss_bytes": 31_000_000}
    asset = Asset.objects.get(pk=agent.asset_id)
    assert asset.last_seen_at is not None
    assert asset.offline_after == asset.last_seen_at + dt.timedelta(seconds=300)
    if connection.vendor == "postgresql":
        # The rollup lock and the one statement (here in a savepoint of the test's transaction;
        # in a server, BEGIN and COMMIT).
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
        assert len(statements) == 2, [s[:80] for s in statements]


def test_a_batch_sent_twice_on_the_hot_path_is_stored_once(
    agent_a: SignedAgent, warm: Warm
) -> None:
    warm(agent_a)
    batch_id = str(uuid.uuid4())
    first = agent_a.batch(samples=_samples(), batch_id=batch_id)
    again = agent_a.batch(samples=_samples(), batch_id=batch_id)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert AgentBatch.objects.filter(batch_id=batch_id).count() == 1
    assert Sample.objects.count() == 4


def test_a_revoked_agent_is_refused_at_once_though_its_credential_is_remembered(
    agent_a: SignedAgent, warm: Warm
) -> None:
    warm(agent_a)
    assert uuid.UUID(agent_a.agent_id) in auth._credentials
    actions.revoke_agent(actor=SYSTEM, agent=agent_a.agent)
    response = agent_a.batch(samples=_samples())
    assert response.status_code == 401
    assert response.json() == {"detail": "agent revoked"}
    assert _failures(agent_a) == ["revoked agent"]
    assert Sample.objects.count() == 2


def test_after_reenrollment_the_old_secret_stops_working_at_once(
    client_a: Client, warm: Warm
) -> None:
    _token, text = make_token(client_a)
    old = enroll(text, machine_id="a-app-02", hostname="a-app-02")
    warm(old)
    new = enroll(text, machine_id="a-app-02", hostname="a-app-02")
    assert new.agent_id == old.agent_id
    assert new.secret != old.secret
    refused = old.batch(samples=_samples())
    assert refused.status_code == 401
    assert _failures(old) == ["bad signature"]
    assert new.batch(samples=_samples()).status_code == 200
    assert old.batch(samples=_samples()).status_code == 401
    assert Sample.objects.count() == 4


def test_a_tampered_batch_is_refused_with_a_remembered_credential(
    agent_a: SignedAgent, warm: Warm
) -> None:
    warm(agent_a)
    body = b'{"batch_id": "%s", "seq": 5, "sent_at": "%s", "samples": []}' % (
        str(uuid.uuid4()).encode(),
        iso(dt.datetime.now(dt.UTC)).encode(),
    )
    headers = agent_a.headers("POST", "/agent/v1/batches", body)
    tampered = body.replace(b'"seq": 5', b'"seq": 6')
    response = agent_a.http.generic(
        "POST", "/agent/v1/batches", data=tampered, content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 401
    assert _failures(agent_a) == ["bad signature"]


def test_samples_behind_a_watermark_that_moved_are_merged_into_the_rollup(
    agent_a: SignedAgent, warm: Warm
) -> None:
    now = dt.datetime.now(dt.UTC)
    warm(agent_a)  # remembers the watermarks as they were: none yet
    rollups.run(now)  # the job moves them past the last completed bucket
    behind = rollups.floor(now, 300) - dt.timedelta(minutes=20)
    assert agent_a.batch(samples=_samples(behind)).status_code == 200
    merged = Rollup5m.objects.filter(bucket=behind)
    assert merged.count() == 2
    assert sorted(merged.values_list("count", flat=True)) == [1, 1]


def test_an_offline_host_comes_back_online_with_its_next_batch(
    agent_a: SignedAgent, warm: Warm
) -> None:
    warm(agent_a)
    asset_id = Agent.objects.get(pk=agent_a.agent_id).asset_id
    Asset.objects.filter(pk=asset_id).update(status=Asset.Status.OFFLINE)
    assert agent_a.batch(samples=_samples()).status_code == 200
    asset = Asset.objects.get(pk=asset_id)
    assert asset.status == Asset.Status.ONLINE
    assert AssetStatusChange.objects.filter(asset=asset, status=Asset.Status.ONLINE).count() == 2


def test_a_host_with_its_own_offline_period_gets_its_deadline_from_it(
    agent_a: SignedAgent, warm: Warm
) -> None:
    warm(agent_a)
    asset_id = Agent.objects.get(pk=agent_a.agent_id).asset_id
    Asset.objects.filter(pk=asset_id).update(offline_period_seconds=900)
    assert agent_a.batch(samples=_samples()).status_code == 200
    asset = Asset.objects.get(pk=asset_id)
    assert asset.last_seen_at is not None
    assert asset.offline_after == asset.last_seen_at + dt.timedelta(seconds=900)
