from __future__ import annotations

import itertools
from typing import Any

import psutil

from conftest import wait_for
from openmsp_agent.collectors import current_platform
from openmsp_agent.collectors.metrics import METRIC_NAMES, AgentHealth, MetricsCollector

RATES = {
    "cpu.percent",
    "diskio.read_bytes_per_s",
    "diskio.write_bytes_per_s",
    "net.rx_bytes_per_s",
    "net.tx_bytes_per_s",
    "net.rx_errors",
    "net.tx_errors",
    "agent.cpu_percent",
}


def two_samples() -> list[dict[str, Any]]:
    """A primed collector's second sample, taken once the CPU counters have moved on."""
    metrics = collector()
    metrics.sample()
    before = [sum(t) for t in psutil.cpu_times(percpu=True)]
    assert wait_for(
        lambda: all(sum(t) > b for t, b in zip(psutil.cpu_times(percpu=True), before, strict=True))
    )
    return metrics.sample()


def collector(clock: itertools.count[float] | None = None) -> MetricsCollector:
    ticks = clock or itertools.count(1000.0, 60.0)
    return MetricsCollector(
        current_platform(),
        AgentHealth(queue_depth=lambda: 3, dropped=lambda: 1, clock=lambda: next(ticks)),
        clock=lambda: next(ticks),
    )


def test_the_second_sample_has_every_metric_of_the_protocol_table() -> None:
    names = {s["m"] for s in two_samples()}

    assert names == set(METRIC_NAMES)


def test_the_first_sample_skips_rates_but_has_the_gauges() -> None:
    names = {s["m"] for s in collector().sample()}

    assert not names & RATES
    assert names == set(METRIC_NAMES) - RATES


def test_samples_have_the_wire_shape_with_string_labels() -> None:
    for sample in two_samples():
        assert set(sample) == {"t", "m", "v", "l"}
        assert sample["t"].endswith("Z")
        assert isinstance(sample["v"], int | float)
        assert not isinstance(sample["v"], bool)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in sample["l"].items())


def test_labels_follow_the_protocol() -> None:
    samples = two_samples()

    def labels(name: str) -> set[str]:
        return {key for s in samples if s["m"] == name for key in s["l"]}

    assert labels("cpu.percent") == {"cpu"}
    assert {s["l"]["cpu"] for s in samples if s["m"] == "cpu.percent"} >= {"total", "0"}
    assert labels("disk.used_percent") == {"mount"}
    assert labels("diskio.read_bytes_per_s") == {"device"}
    assert labels("net.rx_bytes_per_s") == {"iface"}
    assert labels("mem.total_bytes") == set()


def test_percentages_stay_within_zero_and_a_hundred() -> None:
    for sample in two_samples():
        if sample["m"].endswith("percent") and not sample["m"].startswith("agent."):
            assert 0 <= sample["v"] <= 100, sample


def test_the_agent_reports_its_own_queue_and_drops() -> None:
    samples = {s["m"]: s["v"] for s in collector().sample()}

    assert samples["agent.queue_depth"] == 3
    assert samples["agent.dropped_batches"] == 1
    assert samples["agent.rss_bytes"] > 1_000_000
