"""ICMP ping: round-trip latency and packet loss over a few echo requests (icmplib).

Raw ICMP sockets need root; otherwise the kernel's unprivileged "ping sockets" are used, which
work when net.ipv4.ping_group_range includes the poller's group.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import icmplib

from openmsp.core import netguard
from openmsp.monitoring.probes.base import ProbeResult, Status, threshold_status, worst
from openmsp.monitoring.probes.specs import IcmpSpec

PRIVILEGED = os.geteuid() == 0


def _loss_status(loss_percent: float, spec: IcmpSpec) -> Status:
    if loss_percent >= spec.loss_critical_percent:
        return "critical"
    if loss_percent >= spec.loss_warning_percent:
        return "warning"
    return "ok"


async def probe_icmp(
    target: str, spec: IcmpSpec, timeout: float, state: Mapping[str, Any] | None = None
) -> ProbeResult:
    try:
        # Resolved and vetted here, once: icmplib is given the address, not the name, so a name
        # that resolves into a network outside the check's scope is never pinged.
        address = await netguard.vetted_address(target)
    except netguard.Refused as exc:
        return ProbeResult("critical", f"Ping {target}: {exc}", details={"refused": True})
    except (OSError, UnicodeError):
        return ProbeResult("critical", f"Ping {target}: the name does not resolve")
    try:
        host = await icmplib.async_ping(
            address,
            count=spec.count,
            interval=spec.interval_ms / 1000,
            timeout=max(0.1, timeout / spec.count),  # per echo request: the run fits its timeout
            privileged=PRIVILEGED,
        )
    except icmplib.NameLookupError:
        return ProbeResult("critical", f"Ping {target}: the name does not resolve")
    except icmplib.SocketPermissionError:
        return ProbeResult(
            "unknown", "Ping needs root or net.ipv4.ping_group_range to include the poller"
        )
    except (icmplib.ICMPLibError, OSError) as exc:
        return ProbeResult("critical", f"Ping {target}: {exc}")
    loss = round(host.packet_loss * 100, 1)
    details = {
        "sent": host.packets_sent,
        "received": host.packets_received,
        "loss_percent": loss,
        "min_ms": host.min_rtt,
        "max_ms": host.max_rtt,
        "jitter_ms": host.jitter,
    }
    if not host.is_alive:
        return ProbeResult(
            "critical", f"Ping {target}: no reply to {host.packets_sent} requests", details=details
        )
    latency = host.avg_rtt
    status = worst(
        _loss_status(loss, spec),
        threshold_status(latency, spec.latency_warning_ms, spec.latency_critical_ms),
    )
    return ProbeResult(
        status,
        f"Ping {target}: {latency:.2f} ms average, {loss:g}% loss",
        latency_ms=latency,
        details=details,
    )
