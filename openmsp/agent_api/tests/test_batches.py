"""Batches: stored once (idempotent), validated sample by sample, a check-in for the asset."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from openmsp.agent_api.models import Agent, AgentBatch
from openmsp.agent_api.signals import check_results_received
from openmsp.agent_api.tests.agents import SignedAgent, iso
from openmsp.assets.models import Asset
from openmsp.metrics.models import Sample, Series

pytestmark = pytest.mark.django_db


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _samples(n: int = 3) -> list[dict[str, Any]]:
    t = iso(_now() - dt.timedelta(seconds=30))
    base = [
        {"t": t, "m": "cpu.percent", "v": 12.5, "l": {"cpu": "total"}},
        {"t": t, "m": "mem.used_percent", "v": 40, "l": {}},
        {"t": t, "m": "disk.used_percent", "v": 71.2, "l": {"mount": "/"}},
    ]
    return base[:n]


def test_a_batch_stores_its_samples_and_checks_the_asset_in(agent_a: SignedAgent) -> None:
    before = _now()
    response = agent_a.batch(samples=_samples(), agent={"rss_bytes": 30_000_000, "queue_depth": 0})
    assert response.status_code == 200
    assert Sample.objects.count() == 3
    assert sorted(Series.objects.values_list("name", flat=True)) == [
        "cpu.percent",
        "disk.used_percent",
        "mem.used_percent",
    ]
    assert Series.objects.get(name="disk.used_percent").labels == {"mount": "/"}
    asset = Asset.objects.get(pk=agent_a.agent.asset_id)
    assert asset.status == Asset.Status.ONLINE
    assert asset.last_seen_at is not None
    assert asset.last_seen_at >= before
    assert asset.offline_after == asset.last_seen_at + dt.timedelta(seconds=300)
    agent = Agent.objects.get(pk=agent_a.agent_id)
    assert agent.last_batch_seq == 1
    assert agent.health["rss_bytes"] == 30_000_000


def test_the_same_batch_twice_is_stored_once(agent_a: SignedAgent) -> None:
    batch_id = str(uuid.uuid4())
    first = agent_a.batch(samples=_samples(), batch_id=batch_id)
    again = agent_a.batch(samples=_samples(), batch_id=batch_id)
    assert first.json()["duplicate"] is False
    assert again.status_code == 200
    assert again.json() == {"accepted": True, "duplicate": True, "next_checkin_seconds": 60}
    assert Sample.objects.count() == 3
    assert AgentBatch.objects.filter(batch_id=batch_id).count() == 1


def _refused(agent: SignedAgent, samples: list[dict[str, Any]]) -> Any:
    response = agent.batch(samples=samples)
    assert response.status_code == 422, response.content
    assert Sample.objects.count() == 0
    assert AgentBatch.objects.count() == 0
    return response.json()


def test_a_sample_without_a_finite_value_is_a_422_naming_its_index(agent_a: SignedAgent) -> None:
    samples = _samples()
    samples[2]["v"] = float("nan")  # json.dumps writes NaN, which Python's json accepts
    body = _refused(agent_a, samples)
    assert body["field"] == "samples.2.v"
    assert body["detail"].startswith("samples.2.v:")


def test_a_boolean_or_text_value_is_refused(agent_a: SignedAgent) -> None:
    samples = _samples()
    samples[1]["v"] = True
    assert _refused(agent_a, samples)["field"] == "samples.1.v"
    samples[1]["v"] = "12"
    assert _refused(agent_a, samples)["field"] == "samples.1.v"


def test_a_metric_name_that_is_not_dotted_lowercase_is_refused(agent_a: SignedAgent) -> None:
    samples = _samples()
    samples[0]["m"] = "CPU Percent"
    assert _refused(agent_a, samples)["field"] == "samples.0.m"


def test_labels_must_be_a_flat_string_map(agent_a: SignedAgent) -> None:
    samples = _samples()
    samples[2]["l"] = {"mount": {"nested": "no"}}
    assert _refused(agent_a, samples)["field"].startswith("samples.2.l")


def test_a_sample_more_than_five_minutes_in_the_future_is_refused(agent_a: SignedAgent) -> None:
    samples = _samples()
    samples[1]["t"] = iso(_now() + dt.timedelta(minutes=6))
    body = _refused(agent_a, samples)
    assert body["field"] == "samples.1.t"
    assert "sample 1" in body["detail"]
    assert "future" in body["detail"]


def test_a_sample_a_little_in_the_future_is_accepted(agent_a: SignedAgent) -> None:
    samples = _samples(1)
    samples[0]["t"] = iso(_now() + dt.timedelta(minutes=4))
    assert agent_a.batch(samples=samples).status_code == 200


def test_a_batch_without_its_id_is_refused(agent_a: SignedAgent) -> None:
    response = agent_a.post("/agent/v1/batches", {"seq": 1, "sent_at": iso(_now())})
    assert response.status_code == 422
    assert response.json()["field"] == "batch_id"


def test_a_batch_over_four_mebibytes_is_refused_with_413(agent_a: SignedAgent, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1_048_576  # let the request reach the agent API
    payload = {
        "batch_id": str(uuid.uuid4()),
        "seq": 1,
        "sent_at": iso(_now()),
        "pad": "x" * (4 * 1_048_576),
    }
    response = agent_a.post("/agent/v1/batches", payload)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_unknown_fields_are_ignored_so_newer_agents_still_talk(agent_a: SignedAgent) -> None:
    assert agent_a.batch(samples=_samples(1), future_feature={"x": 1}).status_code == 200


def test_check_results_are_handed_to_the_monitoring_capability_on_commit(
    agent_a: SignedAgent, django_capture_on_commit_callbacks
) -> None:
    received = []

    def receiver(sender, agent, asset, results, **kwargs):
        received.append((str(agent.pk), asset.pk, results))

    check_results_received.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            agent_a.batch(check_results=[{"check": "nginx", "ok": True}])
    finally:
        check_results_received.disconnect(receiver)
    assert received == [
        (agent_a.agent_id, agent_a.agent.asset_id, [{"check": "nginx", "ok": True}])
    ]


def test_agent_health_text_is_made_storable(agent_a: SignedAgent) -> None:
    raw = json.dumps(
        {
            "batch_id": str(uuid.uuid4()),
            "seq": 1,
            "sent_at": iso(_now()),
            "agent": {"note": "a\u0000b"},
        }
    ).encode()
    assert agent_a.post("/agent/v1/batches", None, raw=raw).status_code == 200
    assert Agent.objects.get(pk=agent_a.agent_id).health == {"note": "a\ufffdb"}
