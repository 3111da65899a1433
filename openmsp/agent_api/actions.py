"""Every change to enrollment tokens, agents and commands.

Technicians' actions (`create_enrollment_token`, `revoke_enrollment_token`, `revoke_agent`,
`run_command`, `cancel_command`) take the actor, check the role (agent.enroll, command.run), and
audit in the same transaction. Callers pass objects fetched through `openmsp.agent_api.queries` or
`openmsp.assets.queries`.

Agents' own changes (`enroll`, `accept_batch`, `claim_runs`, `record_result`) are in
`openmsp.agent_api.agent_actions`: they authenticate by credential, not by role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.agent_api import crypto
from openmsp.agent_api.models import TOKEN_PREFIX, Agent, Command, CommandRun, EnrollmentToken
from openmsp.assets.models import Asset
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.tenants.models import Client, Site

DEFAULT_TOKEN_DAYS = 7
MAX_TOKEN_DAYS = 365
MAX_SCRIPT_CHARS = 65_536
MAX_TIMEOUT = 86_400
MAX_SELECTION = 1_000
COMMAND_TTL = dt.timedelta(hours=1)  # an agent that has not picked a run up by then never will
_INTERPRETER = re.compile(r"^(/[A-Za-z0-9._+-]+)+$|^[A-Za-z0-9._+-]+$")
_RUN_AS = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


def hash_enrollment_token(token: str) -> str:
    # 256 random bits: a fast hash is enough, and the lookup stays one indexed query.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- Enrollment tokens --------------------------------------------------------------------------


@transaction.atomic
def create_enrollment_token(
    *,
    actor: Actor,
    client: Client,
    site: Site | None = None,
    name: str = "",
    expires_at: dt.datetime | None = None,
    max_uses: int | None = None,
) -> tuple[EnrollmentToken, str]:
    """A new token and its text (`ome_…`), which is shown once and never stored."""
    require(actor, Perm.AGENT_ENROLL)
    now = timezone.now()
    expires_at = expires_at or now + dt.timedelta(days=DEFAULT_TOKEN_DAYS)
    if site is not None and site.client_id != client.pk:
        raise ValidationFailed("The site belongs to another client.", field="site")
    if not now < expires_at <= now + dt.timedelta(days=MAX_TOKEN_DAYS):
        raise ValidationFailed(
            f"The token must expire in the future, within {MAX_TOKEN_DAYS} days.",
            field="expires_at",
        )
    if max_uses is not None and max_uses < 1:
        raise ValidationFailed(
            "max_uses must be at least 1 (or empty for no limit).", field="max_uses"
        )
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = EnrollmentToken.objects.create(
        client=client,
        site=site,
        name=name,
        prefix=text[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        token_hash=hash_enrollment_token(text),
        expires_at=expires_at,
        max_uses=max_uses,
        created_by=actor.user,
    )
    audit.record(
        actor=actor,
        action="enrollment_token.created",
        obj=token,
        after=audit.snapshot(token),
        category=audit.CATEGORY_PERMISSION,
    )
    return token, text


@transaction.atomic
def revoke_enrollment_token(*, actor: Actor, token: EnrollmentToken) -> EnrollmentToken:
    """The token stops enrolling at once; agents it enrolled keep working. Revoking twice is fine."""
    require(actor, Perm.AGENT_ENROLL)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            actor=actor,
            action="enrollment_token.revoked",
            obj=token,
            after={"revoked_at": token.revoked_at},
            category=audit.CATEGORY_PERMISSION,
        )
    return token


# --- Agents -------------------------------------------------------------------------------------


def _revoke(actor: Actor, agent: Agent, reason: str) -> Agent:
    if agent.revoked_at is not None:
        return agent
    agent.revoked_at = timezone.now()
    agent.save(update_fields=["revoked_at", "updated_at"])
    CommandRun.objects.filter(agent=agent, status=CommandRun.Status.QUEUED).update(
        status=CommandRun.Status.CANCELLED
    )
    audit.record(
        actor=actor,
        action="agent.revoked",
        obj=agent,
        after={"revoked_at": agent.revoked_at, "reason": reason, "asset_id": agent.asset_id},
        category=audit.CATEGORY_PERMISSION,
    )
    return agent


@transaction.atomic
def revoke_agent(*, actor: Actor, agent: Agent, reason: str = "") -> Agent:
    """The agent's next request gets 401 "agent revoked"; its queued runs are cancelled. The host
    can enroll again with a new token (same asset, new secret)."""
    require(actor, Perm.AGENT_ENROLL)
    return _revoke(actor, agent, reason)


def revoke_agent_of(*, actor: Actor, asset: Asset, reason: str) -> Agent | None:
    """Revoke the asset's agent as part of another audited change (retiring the asset): the
    permission was checked by that change."""
    agent = Agent.objects.filter(asset=asset).first()
    return _revoke(actor, agent, reason) if agent is not None else None


# --- Commands -----------------------------------------------------------------------------------


def rfc3339(moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def command_payload(run: CommandRun, command: Command) -> dict[str, object]:
    """The command object of the protocol, exactly the fields the signature covers."""
    return {
        "id": str(run.pk),
        "kind": command.kind,
        "script": command.script,
        "interpreter": command.interpreter,
        "timeout_seconds": command.timeout_seconds,
        "run_as": command.run_as,
        "not_after": rfc3339(command.not_after),
        "agent_id": str(run.agent_id),
    }


def _check_command(script: str, interpreter: str, timeout: int, run_as: str) -> None:
    if not script.strip():
        raise ValidationFailed("The script is empty.", field="script")
    if len(script) > MAX_SCRIPT_CHARS or "\x00" in script:
        raise ValidationFailed(
            f"The script must be at most {MAX_SCRIPT_CHARS} characters, without NUL.",
            field="script",
        )
    if len(interpreter) > 200 or not _INTERPRETER.match(interpreter):
        raise ValidationFailed(
            "The interpreter must be an absolute path (/bin/sh) or a program name (powershell).",
            field="interpreter",
        )
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise ValidationFailed(f"The timeout must be 1 to {MAX_TIMEOUT} seconds.", field="timeout")
    if not _RUN_AS.match(run_as):
        raise ValidationFailed("run_as must be a user name (root, deploy).", field="run_as")


def _agents_of(assets: Sequence[Asset]) -> dict[int, Agent]:
    if not assets:
        raise ValidationFailed("Choose at least one asset.", field="assets")
    if len(assets) > MAX_SELECTION:
        raise ValidationFailed(f"At most {MAX_SELECTION} assets per command.", field="assets")
    if len({a.client_id for a in assets}) > 1:
        raise ValidationFailed(
            "All assets of one command must belong to one client.", field="assets"
        )
    agents = {
        a.asset_id: a for a in Agent.objects.filter(asset__in=assets, revoked_at__isnull=True)
    }
    for asset in assets:
        if asset.retired_at is not None or asset.pk not in agents:
            raise ValidationFailed(
                f"Asset '{asset.name}' (id {asset.pk}) has no active agent to run commands.",
                field="assets",
            )
    return agents


@transaction.atomic
def run_command(
    *,
    actor: Actor,
    assets: Sequence[Asset],
    script: str,
    interpreter: str = "/bin/sh",
    timeout: int = 60,
    run_as: str = "root",
) -> Command:
    """Queue *script* on every asset (one signed run each); audited with the script text."""
    require(actor, Perm.COMMAND_RUN)
    _check_command(script, interpreter, timeout, run_as)
    agents = _agents_of(assets)
    now = timezone.now()
    not_after = (now + COMMAND_TTL).replace(microsecond=(now.microsecond // 1000) * 1000)
    command = Command.objects.create(
        client_id=assets[0].client_id,
        created_by=actor.user,
        script=script,
        interpreter=interpreter,
        timeout_seconds=timeout,
        run_as=run_as,
        not_after=not_after,
    )
    runs = []
    for asset in assets:
        run = CommandRun(
            command=command, client_id=asset.client_id, asset=asset, agent=agents[asset.pk]
        )
        run.signature = crypto.sign_command(command_payload(run, command))
        runs.append(run)
    CommandRun.objects.bulk_create(runs)
    audit.record(
        actor=actor,
        action="command.run",
        obj=command,
        after={
            "script": script,
            "interpreter": interpreter,
            "timeout_seconds": timeout,
            "run_as": run_as,
            "not_after": not_after,
            "asset_ids": [a.pk for a in assets],
            "run_ids": [str(r.pk) for r in runs],
        },
    )
    return command


@transaction.atomic
def cancel_command(*, actor: Actor, command: Command) -> Command:
    """Runs not yet delivered are cancelled; runs already on a host cannot be called back."""
    require(actor, Perm.COMMAND_RUN)
    if command.cancelled_at is None:
        command.cancelled_at = timezone.now()
        command.save(update_fields=["cancelled_at", "updated_at"])
        cancelled = CommandRun.objects.filter(
            command=command, status=CommandRun.Status.QUEUED
        ).update(status=CommandRun.Status.CANCELLED)
        audit.record(
            actor=actor,
            action="command.cancelled",
            obj=command,
            after={"cancelled_runs": cancelled},
        )
    return command


def expire_command_runs(*, now: dt.datetime | None = None) -> int:
    """Runs nobody picked up by `not_after`, and delivered runs whose result never came (an hour
    past deadline and timeout), become expired. A late result still overwrites `expired`."""
    now = now or timezone.now()
    queued = CommandRun.objects.filter(
        status=CommandRun.Status.QUEUED, command__not_after__lte=now
    ).update(status=CommandRun.Status.EXPIRED)
    stale = [
        pk
        for pk, not_after, timeout in CommandRun.objects.filter(
            status=CommandRun.Status.DELIVERED, command__not_after__lte=now - dt.timedelta(hours=1)
        ).values_list("pk", "command__not_after", "command__timeout_seconds")[:1000]
        if not_after + dt.timedelta(seconds=timeout, hours=1) <= now
    ]
    delivered = CommandRun.objects.filter(pk__in=stale, status=CommandRun.Status.DELIVERED).update(
        status=CommandRun.Status.EXPIRED
    )
    return queued + delivered
