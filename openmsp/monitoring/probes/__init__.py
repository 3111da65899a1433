"""Probes of synthetic checks: one async function per kind, no ORM (see base.py).

`run_probe(kind, target, spec, timeout, state)` runs the kind's probe under a hard timeout and turns
anything unexpected into an "unknown" result, so one broken probe never takes the poller down.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from openmsp.core import netguard
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.probes.specs import Spec

log = logging.getLogger("openmsp.poller")
Probe = Callable[[str, Any, float, Mapping[str, Any] | None], Awaitable[ProbeResult]]

# Imported on first use: pysnmp and icmplib are slow to import and "test now" of an HTTP check
# should not pay for them.
_PROBES = {
    "icmp": "openmsp.monitoring.probes.icmp:probe_icmp",
    "tcp": "openmsp.monitoring.probes.tcp:probe_tcp",
    "http": "openmsp.monitoring.probes.http:probe_http",
    "tls": "openmsp.monitoring.probes.tls:probe_tls",
    "dns": "openmsp.monitoring.probes.dns:probe_dns",
    "snmp": "openmsp.monitoring.probes.snmp:probe_snmp",
}
_loaded: dict[str, Probe] = {}
GRACE_SECONDS = 2.0  # beyond the probe's own timeout, before the poller gives up on it


def probe_for(kind: str) -> Probe:
    if kind not in _loaded:
        module, name = _PROBES[kind].split(":")
        _loaded[kind] = getattr(importlib.import_module(module), name)
    return _loaded[kind]


async def run_probe(
    kind: str,
    target: str,
    spec: Spec,
    timeout: float,
    state: Mapping[str, Any] | None = None,
    *,
    scope: str = netguard.PUBLIC,
) -> ProbeResult:
    """*scope* is the check's network scope (openmsp.core.netguard): what its probe may reach."""
    token = netguard.scope_var.set(scope)
    try:
        return await asyncio.wait_for(
            probe_for(kind)(target, spec, timeout, state), timeout + GRACE_SECONDS
        )
    except TimeoutError:
        return ProbeResult("critical", f"{kind} check of {target} timed out after {timeout:g} s")
    except Exception as exc:  # a probe bug must become a visible result, not a dead poller
        log.exception("%s probe of %s failed", kind, target)
        return ProbeResult("unknown", f"{kind} probe error: {type(exc).__name__}: {exc}")
    finally:
        netguard.scope_var.reset(token)


__all__ = ["ProbeResult", "probe_for", "run_probe"]
