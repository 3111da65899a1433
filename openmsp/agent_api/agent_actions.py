"""What agents change: enrollment, batches (metrics, inventory, results, check-in), commands.

These run for a request the agent signed (see auth.py), so they check no role; each is one
transaction. Enrollment is audited (a credential is issued); batches are telemetry, recorded in
their own tables.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from openmsp.agent_api import batch_sql, crypto, signals
from openmsp.agent_api.actions import command_payload, hash_enrollment_token
from openmsp.agent_api.auth import Credential
from openmsp.agent_api.batch_sql import Stored
from openmsp.agent_api.models import Agent, AgentBatch, CommandRun, EnrollmentToken
from openmsp.agent_api.schemas import BatchIn, CommandResultIn, EnrollIn
from openmsp.agent_api.signals import check_results_received
from openmsp.assets import actions as asset_actions
from openmsp.assets.models import Asset
from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.metrics.ingest import SampleIn, ingest

log = logging.getLogger("openmsp.agent_api")

OUTPUT_CAP = 1_048_576  # bytes of stdout and of stderr kept per run
CLAIM_LIMIT = 20
INTERVALS = {"metrics": 60, "inventory": 21600, "checkin": 60, "command_poll": 25}


class EnrollmentRefused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Enrollment:
    agent: Agent
    secret: str
    created: bool

    def answer(self) -> dict[str, Any]:
        return {
            "agent_id": str(self.agent.pk),
            "agent_secret": self.secret,
            "command_public_key": crypto.public_key_b64(),
            "intervals": INTERVALS,
            "jitter_seconds": jitter_seconds(self.agent.pk),
        }


def jitter_seconds(agent_id: uuid.UUID) -> int:
    """Each agent's fixed offset within the check-in interval, so a fleet does not check in at
    the top of the minute all together."""
    return agent_id.int % INTERVALS["checkin"]


def storable(text: str) -> str:
    """Text any database can store: NUL and lone surrogates (possible in JSON) replaced."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_json(v) for v in value]
    if isinstance(value, dict):
        return {storable(str(k)): storable_json(v) for k, v in value.items()}
    return value


# --- Enrollment ---------------------------------------------------------------------------------


@transaction.atomic
def enroll(request: EnrollIn) -> Enrollment:
    """Issue credentials for a host. The same machine of the same client gets its agent and asset
    back (with a new secret; the old one stops working), even after a revoke or retirement."""
    token = (
        EnrollmentToken.objects.select_for_update(of=("self",))
        .select_related("client", "site")
        .filter(token_hash=hash_enrollment_token(request.enrollment_token))
        .first()
    )
    if token is None:
        raise EnrollmentRefused("Unknown enrollment token.")
    problem = token.problem()
    if problem:
        raise EnrollmentRefused(problem)
    EnrollmentToken.objects.filter(pk=token.pk).update(uses=F("uses") + 1)
    now = timezone.now()
    secret = crypto.new_agent_secret()
    agent = (
        Agent.objects.select_for_update(of=("self",))
        .select_related("asset")
        .filter(client=token.client, machine_id=request.machine_id)
        .first()
    )
    created = agent is None
    if agent is None:
        agent = _new_agent(token, request, secret, now)
    else:
        _reenroll(agent, token, request, secret, now)
    audit.record(
        actor=Actor(user=None, via=f"enrollment token {token.prefix}"),
        action="agent.enrolled" if created else "agent.reenrolled",
        obj=agent,
        after={
            "asset_id": agent.asset_id,
            "machine_id": agent.machine_id,
            "hostname": request.hostname,
            "agent_version": request.agent_version,
            "enrollment_token_id": token.pk,
        },
        category=audit.CATEGORY_PERMISSION,
    )
    return Enrollment(agent=agent, secret=secret, created=created)


def _new_agent(token: EnrollmentToken, request: EnrollIn, secret: str, now: dt.datetime) -> Agent:
    asset = Asset.objects.create(
        client=token.client,
        site=token.site,
        name=request.hostname[:200],
        hostname=request.hostname,
        kind=Asset.Kind.AGENT,
        os_name=request.os,
    )
    audit.record(
        actor=Actor(user=None, via=f"enrollment token {token.prefix}"),
        action="asset.created",
        obj=asset,
        after=audit.snapshot(asset),
    )
    return Agent.objects.create(
        client=token.client,
        asset=asset,
        machine_id=request.machine_id,
        secret_encrypted=crypto.encrypt_secret(secret),
        agent_version=request.agent_version,
        enrolled_at=now,
        enrolled_with=token,
    )


def _reenroll(
    agent: Agent, token: EnrollmentToken, request: EnrollIn, secret: str, now: dt.datetime
) -> None:
    agent.secret_encrypted = crypto.encrypt_secret(secret)
    agent.revoked_at = None
    agent.agent_version = request.agent_version
    agent.enrolled_at = now
    agent.enrolled_with = token
    agent.save()
    Asset.objects.filter(pk=agent.asset_id).update(hostname=request.hostname, retired_at=None)


# --- Batches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOutcome:
    duplicate: bool
    samples: int = 0
    checks: dict[str, Any] | None = None  # new local-check definitions for the agent
    checks_fingerprint: str | None = None  # read by the hot path's statement, when it ran

    def answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "accepted": True,
            "duplicate": self.duplicate,
            "next_checkin_seconds": INTERVALS["checkin"],
        }
        if self.checks is not None:
            answer["checks"] = self.checks
        return answer


def with_check_config(
    outcome: BatchOutcome, credential: Credential, version: str | None
) -> BatchOutcome:
    """Piggyback the agent's local-check definitions when they changed (one indexed query).

    Script checks run code on the host, so the block is signed like a command (Ed25519 over the
    canonical JSON without `signature`, addressed to the agent): the agent refuses it otherwise."""
    provider = signals.check_config_provider
    if provider is None:
        return outcome
    config = provider(credential.asset_id, version, outcome.checks_fingerprint)
    if config is None:
        return outcome
    config = {**config, "agent_id": str(credential.agent_id)}
    config["signature"] = crypto.sign_command(config)
    return BatchOutcome(outcome.duplicate, outcome.samples, config)


class StaleCredential(Exception):
    """The agent was revoked or re-enrolled since its credential was remembered: nothing was
    stored; authenticate against the database (auth.authenticate) and try again."""


@transaction.atomic
def accept_batch(
    credential: Credential, batch: BatchIn, *, now: dt.datetime | None = None
) -> BatchOutcome:
    """Store a batch once: samples, inventory (InventoryMismatch rolls everything back), command
    results, agent health, and the check-in. A batch id already stored stores nothing. The
    credential is confirmed against the agent row in the same transaction (StaleCredential)."""
    now = now or timezone.now()
    samples = [SampleIn(s.m, s.l, s.t, s.v) for s in batch.samples]
    if batch_sql.eligible(batch):
        health = None if batch.agent is None else json.dumps(storable_json(batch.agent))
        out: dict[str, Any] = {}
        stored = batch_sql.store(credential, batch, samples, health=health, now=now, out=out)
        if stored is Stored.STALE_CREDENTIAL:
            raise StaleCredential
        if stored is Stored.DUPLICATE:
            return BatchOutcome(duplicate=True)
        if stored in (Stored.NEW, Stored.NEW_NOT_ONLINE):
            if stored is Stored.NEW_NOT_ONLINE:
                asset_actions.check_in(Asset.objects.get(pk=credential.asset_id), at=now)
            fingerprint = out.get("checks_fingerprint")
            return BatchOutcome(False, len(samples), checks_fingerprint=fingerprint)
    return _accept_in_full(credential, batch, samples, now)


def _accept_in_full(
    credential: Credential, batch: BatchIn, samples: list[SampleIn], now: dt.datetime
) -> BatchOutcome:
    agent = (
        Agent.objects.select_related("asset")
        .filter(
            pk=credential.agent_id,
            revoked_at__isnull=True,
            secret_encrypted=credential.secret_encrypted,
        )
        .first()
    )
    if agent is None:
        raise StaleCredential
    try:
        with transaction.atomic():
            AgentBatch.objects.create(
                batch_id=batch.batch_id, agent=agent, seq=batch.seq, received_at=now,
                sample_count=len(batch.samples),
            )  # fmt: skip
    except IntegrityError:
        return BatchOutcome(duplicate=True)
    asset = agent.asset
    ingest(asset, samples, now=now)
    if batch.inventory is not None:
        asset_actions.record_inventory(asset, storable_json(batch.inventory), at=now)
    for result in batch.command_results:
        try:
            record_result(agent, result.id, result, now=now)
        except NotFound:
            log.warning("agent %s reported a result for unknown run %s", agent.pk, result.id)
    _note_agent(agent, batch)
    asset_actions.check_in(asset, at=now)
    if batch.check_results:
        results = storable_json(batch.check_results)
        transaction.on_commit(
            lambda: check_results_received.send(
                sender=Agent, agent=agent, asset=asset, results=results
            )
        )
    return BatchOutcome(duplicate=False, samples=len(batch.samples))


def _note_agent(agent: Agent, batch: BatchIn) -> None:
    changes: dict[str, Any] = {"last_batch_seq": Greatest(F("last_batch_seq"), batch.seq)}
    if agent.last_batch_seq is None:
        changes["last_batch_seq"] = batch.seq
    if batch.agent is not None:
        changes["health"] = storable_json(batch.agent)
    Agent.objects.filter(pk=agent.pk).update(**changes)


# --- Commands -----------------------------------------------------------------------------------


def queued_agent_ids(agent_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these agents have runs waiting (the long-poll loop's one query a second)."""
    wanted = list(agent_ids)
    found: set[uuid.UUID] = set()
    now = timezone.now()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            CommandRun.objects.filter(
                agent_id__in=chunk, status=CommandRun.Status.QUEUED, command__not_after__gt=now
            )
            .values_list("agent_id", flat=True)
            .distinct()
        )
    return found


@transaction.atomic
def claim_runs(agent: Agent, *, limit: int = CLAIM_LIMIT) -> list[dict[str, Any]]:
    """Hand the agent its queued runs (oldest first), marking them delivered, with signatures.
    Two polls of one agent never get the same run (row locks on PostgreSQL; SQLite serialises
    writers)."""
    now = timezone.now()
    runs = list(
        CommandRun.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("command")
        .filter(agent=agent, status=CommandRun.Status.QUEUED, command__not_after__gt=now)
        .order_by("created_at", "pk")[:limit]
    )
    if not runs:
        return []
    CommandRun.objects.filter(pk__in=[r.pk for r in runs]).update(
        status=CommandRun.Status.DELIVERED, delivered_at=now
    )
    return [{**command_payload(run, run.command), "signature": run.signature} for run in runs]


def _cap(text: str) -> tuple[str, bool]:
    data = storable(text).encode("utf-8")
    if len(data) <= OUTPUT_CAP:
        return data.decode("utf-8"), False
    return data[:OUTPUT_CAP].decode("utf-8", "ignore"), True


def _status_of(run: CommandRun, result: CommandResultIn) -> str:
    if result.refused:
        return CommandRun.Status.REFUSED
    if result.timed_out:
        return CommandRun.Status.TIMED_OUT
    if result.exit_code == 0:
        return CommandRun.Status.SUCCEEDED
    if result.timed_out is None and result.started_at and result.finished_at:
        # An agent that does not say `timed_out` (protocol v1): a run as long as its timeout
        # was killed at it.
        ran_for = (result.finished_at - result.started_at).total_seconds()
        if ran_for >= run.command.timeout_seconds:
            return CommandRun.Status.TIMED_OUT
    return CommandRun.Status.FAILED


@transaction.atomic
def record_result(
    agent: Agent,
    run_id: uuid.UUID | str,
    result: CommandResultIn,
    *,
    now: dt.datetime | None = None,
) -> CommandRun:
    """Store a run's outcome. A result for a run that already has one changes nothing (the agent
    retries freely); a run of another agent is NotFound."""
    run = (
        CommandRun.objects.select_for_update(of=("self",))
        .select_related("command")
        .filter(Q(pk=run_id), agent=agent)
        .first()
    )
    if run is None:
        raise NotFound("No such command run for this agent.")
    if run.status in CommandRun.FINAL:
        return run
    run.stdout, cut_out = _cap(result.stdout)
    run.stderr, cut_err = _cap(result.stderr)
    run.truncated = result.truncated or cut_out or cut_err
    run.exit_code = result.exit_code
    run.refused_reason = storable(result.refused or "")[:500]
    run.started_at, run.finished_at = result.started_at, result.finished_at
    run.result_at = now or timezone.now()
    run.status = _status_of(run, result)
    run.save()
    return run
