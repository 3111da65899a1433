"""Metric samples (the protocol's "Metrics" table), from psutil counters.

Rates come from the difference between two consecutive samples, measured on the monotonic clock;
the first sample of every rate is skipped (there is nothing to compare with), and so is a sample
whose counter went backwards (a reset). Sample times come from the wall clock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import psutil

from openmsp_agent.collectors.platform import Platform
from openmsp_agent.encoding import rfc3339

Sample = dict[str, Any]
MIN_RATE_WINDOW = 1.0  # seconds; readings closer than this would give noisy rates

METRIC_NAMES = (
    "cpu.percent",
    "cpu.load1",
    "cpu.load5",
    "cpu.load15",
    "mem.used_percent",
    "mem.available_bytes",
    "mem.total_bytes",
    "swap.used_percent",
    "swap.used_bytes",
    "disk.used_percent",
    "disk.free_bytes",
    "disk.total_bytes",
    "diskio.read_bytes_per_s",
    "diskio.write_bytes_per_s",
    "net.rx_bytes_per_s",
    "net.tx_bytes_per_s",
    "net.rx_errors",
    "net.tx_errors",
    "system.uptime_seconds",
    "system.process_count",
    "agent.rss_bytes",
    "agent.cpu_percent",
    "agent.queue_depth",
    "agent.dropped_batches",
)


class _CpuReading(NamedTuple):
    at: float  # monotonic seconds
    values: dict[str, tuple[float, float]]  # cpu label -> (busy, total) seconds


class _Reading(NamedTuple):
    at: float  # monotonic seconds
    values: dict[tuple[str, str], float]  # (series, label value) -> counter


class AgentHealth:
    """The agent's own footprint, measured once per metrics sample and reused by the sender."""

    def __init__(
        self,
        *,
        queue_depth: Callable[[], int] = lambda: 0,
        dropped: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._process = psutil.Process()
        self._queue_depth = queue_depth
        self._dropped = dropped
        self._clock = clock
        self._last: tuple[float, float] | None = None  # (monotonic, cpu seconds)
        self.rss_bytes = 0
        self.cpu_percent: float | None = None

    def measure(self) -> None:
        now = self._clock()
        times = self._process.cpu_times()
        cpu = times.user + times.system
        self.rss_bytes = int(self._process.memory_info().rss)
        if self._last is not None and now - self._last[0] < MIN_RATE_WINDOW:
            return  # too close to the last reading: keep it as the baseline
        if self._last is not None:
            self.cpu_percent = round(100.0 * (cpu - self._last[1]) / (now - self._last[0]), 3)
        self._last = (now, cpu)

    def queue_depth(self) -> int:
        return self._queue_depth()

    def dropped(self) -> int:
        return self._dropped()

    def block(self) -> dict[str, Any]:
        """The batch's ``agent`` health block."""
        return {
            "rss_bytes": self.rss_bytes,
            "cpu_percent": self.cpu_percent,
            "queue_depth": self.queue_depth(),
            "dropped_batches": self.dropped(),
        }


class MetricsCollector:
    def __init__(
        self,
        platform: Platform,
        health: AgentHealth,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.health = health
        self._clock = clock
        self._wall = wall
        self._counters_before: _Reading | None = None
        self._cpu_before: _CpuReading | None = None
        self._t = ""
        self._out: list[Sample] = []

    def sample(self) -> list[Sample]:
        self._t = rfc3339(self._wall())
        self._out = []
        self._cpu()
        self._load()
        self._memory()
        self._disks()
        self._counters()
        self._system()
        self._agent()
        return self._out

    def _emit(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        if isinstance(value, float):
            value = round(value, 3)
        self._out.append({"t": self._t, "m": name, "v": value, "l": labels or {}})

    def _cpu(self) -> None:
        readings = {"total": _busy_total(psutil.cpu_times())}
        for index, times in enumerate(psutil.cpu_times(percpu=True)):
            readings[str(index)] = _busy_total(times)
        previous = self._cpu_before
        now = self._clock()
        if previous is not None and now - previous.at < MIN_RATE_WINDOW:
            return  # too close to the last reading: keep it as the baseline
        self._cpu_before = _CpuReading(now, readings)
        for label, (busy, total) in readings.items():
            before = previous.values.get(label) if previous else None
            if before is None:
                continue
            # Linux's per-CPU iowait can step backwards; clamp like psutil does.
            d_busy, d_total = max(0.0, busy - before[0]), total - before[1]
            if d_total > 0:
                self._emit("cpu.percent", min(100.0, 100.0 * d_busy / d_total), {"cpu": label})

    def _load(self) -> None:
        load1, load5, load15 = os.getloadavg() if hasattr(os, "getloadavg") else psutil.getloadavg()
        self._emit("cpu.load1", load1)
        self._emit("cpu.load5", load5)
        self._emit("cpu.load15", load15)

    def _memory(self) -> None:
        mem = psutil.virtual_memory()
        self._emit("mem.used_percent", float(mem.percent))
        self._emit("mem.available_bytes", int(mem.available))
        self._emit("mem.total_bytes", int(mem.total))
        swap = psutil.swap_memory()
        self._emit("swap.used_percent", float(swap.percent))
        self._emit("swap.used_bytes", int(swap.used))

    def _disks(self) -> None:
        for mount, _device in self.platform.metric_mounts():
            try:
                usage = psutil.disk_usage(mount)
            except OSError:
                continue  # unmounted meanwhile, or not ours to read
            labels = {"mount": mount}
            self._emit("disk.used_percent", float(usage.percent), labels)
            self._emit("disk.free_bytes", int(usage.free), labels)
            self._emit("disk.total_bytes", int(usage.total), labels)

    def _counters(self) -> None:
        values: dict[tuple[str, str], float] = {}
        for device, io in (psutil.disk_io_counters(perdisk=True) or {}).items():
            if self.platform.is_physical_disk(device):
                values[("diskio.read_bytes_per_s", device)] = io.read_bytes
                values[("diskio.write_bytes_per_s", device)] = io.write_bytes
        for iface, net in (psutil.net_io_counters(pernic=True) or {}).items():
            if iface == "lo" or iface.startswith("lo0"):
                continue
            values[("net.rx_bytes_per_s", iface)] = net.bytes_recv
            values[("net.tx_bytes_per_s", iface)] = net.bytes_sent
            values[("net.rx_errors", iface)] = net.errin
            values[("net.tx_errors", iface)] = net.errout
        now = self._clock()
        previous = self._counters_before
        if previous is not None and now - previous.at < MIN_RATE_WINDOW:
            return  # too close to the last reading: keep it as the baseline
        self._counters_before = _Reading(now, values)
        if previous is None:
            return
        elapsed = now - previous.at
        for (name, label), value in values.items():
            before = previous.values.get((name, label))
            if before is None or value < before:
                continue
            labels = {"device" if name.startswith("diskio.") else "iface": label}
            if name.endswith("_errors"):  # errors seen during the interval, not a running total
                self._emit(name, int(value - before), labels)
            else:
                self._emit(name, (value - before) / elapsed, labels)

    def _system(self) -> None:
        self._emit("system.uptime_seconds", int(self._wall() - psutil.boot_time()))
        self._emit("system.process_count", len(psutil.pids()))

    def _agent(self) -> None:
        self.health.measure()
        self._emit("agent.rss_bytes", self.health.rss_bytes)
        if self.health.cpu_percent is not None:
            self._emit("agent.cpu_percent", self.health.cpu_percent)
        self._emit("agent.queue_depth", self.health.queue_depth())
        self._emit("agent.dropped_batches", self.health.dropped())


def _busy_total(times: Any) -> tuple[float, float]:
    """(busy, total) CPU seconds; guest time is already inside user/nice on Linux."""
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total
