"""What a check's result becomes at the spine: an Observation with the check's noise policy."""

from __future__ import annotations

import datetime as dt

from openmsp.core.spine import NoisePolicy, Observation
from openmsp.monitoring.models import Check
from openmsp.monitoring.probes.base import ProbeResult

SOURCE = "check"
OBJECT_TYPE = "monitoring.check"


def labels_of(tags: list[str]) -> dict[str, str]:
    """Tags as labels: `env=prod` becomes env: prod, a plain tag `db` becomes db: "true"."""
    labels = {}
    for tag in tags:
        key, sep, value = str(tag).partition("=")
        labels[key.strip()] = value.strip() if sep else "true"
    return labels


def policy_of(check: Check) -> NoisePolicy:
    return NoisePolicy(
        failures_to_fire=check.failures_to_fire,
        hold_down_seconds=check.hold_down_seconds,
        successes_to_recover=check.successes_to_recover,
        recovery_seconds=check.recovery_seconds,
        flap_threshold=check.flap_threshold,
        flap_window_seconds=check.flap_window_seconds,
    )


def observation_of(
    check: Check, result: ProbeResult, at: dt.datetime, *, attempts: int = 1
) -> Observation:
    return Observation(
        client_id=check.client_id,
        source=SOURCE,
        object_type=OBJECT_TYPE,
        object_id=str(check.pk),
        rule=check.kind,
        status=result.status,
        observed_at=at,
        summary=result.summary,
        title=check.name,
        asset_id=check.asset_id,
        labels=labels_of(check.tags or []),
        details={
            "target": check.target,
            "latency_ms": result.latency_ms,
            "attempts": attempts,
            **result.details,
        },
        policy=policy_of(check),
    )
