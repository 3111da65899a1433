"""TCP connect: can a connection be opened to host:port, and how fast."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from openmsp.core import netguard
from openmsp.monitoring.probes.base import (
    ProbeResult,
    Stopwatch,
    describe_error,
    threshold_status,
)
from openmsp.monitoring.probes.specs import TcpSpec


async def probe_tcp(
    target: str, spec: TcpSpec, timeout: float, state: Mapping[str, Any] | None = None
) -> ProbeResult:
    clock = Stopwatch()
    where = f"{target}:{spec.port}"
    try:
        address = await netguard.vetted_address(target, spec.port)
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address, spec.port), timeout
        )
    except (OSError, TimeoutError) as exc:
        return ProbeResult(
            "critical",
            f"TCP {where}: {describe_error(exc)}",
            details={"port": spec.port, "error": describe_error(exc)},
        )
    latency = clock.ms()
    writer.close()
    # The connect succeeded; a slow or failed close says nothing about the service.
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 1)
    status = threshold_status(latency, spec.latency_warning_ms, spec.latency_critical_ms)
    return ProbeResult(
        status,
        f"TCP {where} open in {latency:.1f} ms",
        latency_ms=latency,
        details={"port": spec.port},
    )
