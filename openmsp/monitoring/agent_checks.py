"""Agent checks at the server: the definitions an agent runs, and its results as observations.

An agent check is a `Check` whose kind starts with `agent_` (`runs_on == "agent"`), tied to a host
asset. The poller never claims it (`next_check_at` stays empty); the host's agent learns it from a
batch answer (`checks`, versioned: sent only when the version the agent reports differs) and sends
results in a later batch's `check_results`. Each result is stored like a poller's (CheckResult and
the check's last state) and handed to `spine.observe_many()` with the check's noise policy, so agent
checks open and resolve Problems exactly like synthetic ones (fingerprint source "check").

Results are telemetry (ADR 0004): no audit record. A result naming a check of another asset, a
synthetic check, or a disabled one is ignored (an agent reports only on its own host).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from openmsp.core import spine
from openmsp.monitoring.models import Check, CheckResult, CheckStatus
from openmsp.monitoring.observe import observation_of
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.probes.specs import AGENT_KINDS

log = logging.getLogger("openmsp.monitoring.agent_checks")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DEFINITION_FIELDS = ("id", "kind", "settings", "interval_seconds", "timeout_seconds", "retries")


def definitions(asset_id: int) -> list[dict[str, Any]]:
    rows = (
        Check.objects.filter(asset_id=asset_id, kind__in=AGENT_KINDS, enabled=True)
        .order_by("pk")
        .values(*DEFINITION_FIELDS)
    )
    return [dict(row) for row in rows]


def fingerprint(asset_id: int) -> str:
    """The version of a host's agent-check definitions: count, highest id and latest change of
    its agent checks (results do not change `updated_at`). agent_api's hot-path statement
    computes the same string in SQL (batch_sql), so a steady batch costs no extra query."""
    agg = Check.objects.filter(asset_id=asset_id, kind__in=AGENT_KINDS).aggregate(
        n=Count("pk"), top=Max("pk"), changed=Max("updated_at")
    )
    micros = 0
    if agg["changed"] is not None:
        micros = (agg["changed"] - EPOCH) // dt.timedelta(microseconds=1)
    return f"{agg['n']}.{agg['top'] or 0}.{micros}"


def config_for(
    asset_id: int, agent_version: str | None, known: str | None = None
) -> dict[str, Any] | None:
    """The `checks` block of a batch answer: None when the agent already runs this version."""
    version = known if known is not None else fingerprint(asset_id)
    if version == agent_version or (agent_version is None and version.startswith("0.")):
        return None  # current, or nothing to run and the agent runs nothing
    return {"version": version, "items": definitions(asset_id)}


class AgentResultIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    check_id: int
    t: AwareDatetime
    status: CheckStatus
    summary: str = Field("", max_length=10_000)
    details: dict[str, Any] = Field(default_factory=dict)
    perfdata: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


def record_results(asset_id: int, results: list[Any]) -> int:
    """Store the agent's results for checks of this asset; returns how many were stored."""
    parsed: list[AgentResultIn] = []
    for raw in results:
        try:
            item = AgentResultIn.model_validate(raw)
        except ValidationError as exc:
            log.warning("asset %s sent an unusable check result: %s", asset_id, exc.errors()[0])
            continue
        if item.status != CheckStatus.PENDING:
            parsed.append(item)
    if not parsed:
        return 0
    with transaction.atomic():
        checks = {
            c.pk: c
            for c in Check.objects.select_for_update().filter(
                asset_id=asset_id,
                kind__in=AGENT_KINDS,
                enabled=True,
                pk__in={p.check_id for p in parsed},
            )
        }
        rows, observations = [], []
        for item in sorted(parsed, key=lambda p: p.t):
            check = checks.get(item.check_id)
            if check is None:
                continue
            at = item.t.astimezone(dt.UTC)
            details = {**item.details, "perfdata": item.perfdata} if item.perfdata else item.details
            result = ProbeResult(status=item.status.value, summary=item.summary, details=details)  # type: ignore[arg-type]
            if check.last_result_at is None or at >= check.last_result_at:
                check.last_status = result.status
                check.last_result_at = at
                check.last_summary = result.summary
                check.save(update_fields=["last_status", "last_result_at", "last_summary"])
            observations.append(observation_of(check, result, at))
            rows.append(
                CheckResult(
                    for_check=check, at=at, status=result.status, summary=result.summary,
                    details=dict(result.details),
                )
            )  # fmt: skip
        spine.observe_many(observations)
        CheckResult.objects.bulk_create(rows)
    return len(rows)


def on_check_results(sender: Any, *, asset: Any, results: list[Any], **kwargs: Any) -> None:
    """Receiver of agent_api's `check_results_received` (sent after the batch committed)."""
    try:
        record_results(asset.pk, results)
    except Exception:
        log.exception("check results of asset %s lost", asset.pk)
