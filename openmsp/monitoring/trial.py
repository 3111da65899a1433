""" "Test now": run a check's probe once, from a web request, without storing or observing it.

The result is only shown: storing it would put an off-schedule run into the history and feed the
Problem lifecycle a result nobody scheduled (a test of a draft could even open a problem for a
check that does not exist yet). The timeout is capped so a request never waits long.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync

from openmsp.core import netguard
from openmsp.monitoring.probes import run_probe
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.probes.specs import AGENT_KINDS, Spec

MAX_TRIAL_TIMEOUT = 10.0


def try_check(
    kind: str,
    target: str,
    spec: Spec,
    timeout: float,
    state: Mapping[str, Any] | None = None,
    *,
    scope: str = netguard.PUBLIC,
) -> ProbeResult:
    if kind in AGENT_KINDS:  # evaluated on the host only; the server cannot run it
        return ProbeResult("unknown", "The host's agent runs this check on its interval.")
    run = async_to_sync(run_probe)
    return run(kind, target, spec, min(timeout, MAX_TRIAL_TIMEOUT), state, scope=scope)
