"""Hosts consistently over- or under-used in the month (pure), from hourly metric rollups.

Each hour's mean (rollup sum / count) of the host's whole-machine CPU (`cpu.percent`
{cpu="total"}) and memory (`mem.used_percent`) is one value; p95 is the nearest-rank 95th
percentile of the month's hourly means, so a figure a reader can check is one of the values.

- over-used:  p95 CPU > 85 %, or p95 memory > 90 % — busy most of the month, not one spike;
- under-used: p95 CPU < 5 % and p95 memory < 20 % — idle nearly all the time (a candidate to
  consolidate or downsize).

A host needs at least MIN_HOURS hourly CPU values in the month to be judged at all (an agent
installed on the 29th says nothing about "consistently").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openmsp.reports.figures import percentile

MIN_HOURS = 72
CPU_OVER, MEM_OVER = 85.0, 90.0
CPU_UNDER, MEM_UNDER = 5.0, 20.0


@dataclass(frozen=True)
class HostUsage:
    asset: str
    cpu: Sequence[float]  # hourly means, percent
    memory: Sequence[float]


def _p95(values: Sequence[float]) -> float | None:
    value = percentile(values, 95)
    return None if value is None else round(value, 1)


def judge(hosts: Sequence[HostUsage]) -> dict[str, Any]:
    over: list[dict[str, Any]] = []
    under: list[dict[str, Any]] = []
    judged = 0
    for h in hosts:
        if len(h.cpu) < MIN_HOURS:
            continue
        judged += 1
        cpu, mem = _p95(h.cpu), _p95(h.memory)
        row = {"asset": h.asset, "cpu_p95": cpu, "memory_p95": mem, "hours": len(h.cpu)}
        if (cpu is not None and cpu > CPU_OVER) or (mem is not None and mem > MEM_OVER):
            over.append(row)
        elif cpu is not None and cpu < CPU_UNDER and mem is not None and mem < MEM_UNDER:
            under.append(row)
    return {
        "judged": judged,
        "rules": {
            "cpu_over": CPU_OVER,
            "memory_over": MEM_OVER,
            "cpu_under": CPU_UNDER,
            "memory_under": MEM_UNDER,
            "min_hours": MIN_HOURS,
        },
        "over": sorted(over, key=lambda r: (-(r["cpu_p95"] or 0), r["asset"])),
        "under": sorted(under, key=lambda r: (r["cpu_p95"] or 0, r["asset"])),
    }
