"""REST endpoints for enrollment tokens, agents and commands (mounted with the assets router).

Objects are fetched first (another client's is a 404), then the role is checked (403): listing
and creating enrollment tokens and revoking agents need agent.enroll; running and cancelling
commands need command.run; reading commands and their output needs command.run or audit.view.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.agent_api import actions
from openmsp.agent_api.api_schemas import (
    CommandDetailOut,
    CommandIn,
    CommandPage,
    CommandQuery,
    CommandRunOut,
    EnrollmentTokenCreated,
    EnrollmentTokenIn,
    EnrollmentTokenOut,
    EnrollmentTokenPage,
    EnrollmentTokenQuery,
)
from openmsp.agent_api.models import Command, CommandRun, EnrollmentToken
from openmsp.agent_api.queries import (
    agents_visible_to,
    command_runs_visible_to,
    commands_visible_to,
    enrollment_tokens_visible_to,
    may_read,
)
from openmsp.assets.queries import assets_visible_to, get_asset
from openmsp.assets.schemas import AssetOut
from openmsp.core.actor import Actor
from openmsp.core.apiutils import api_field_names, endpoint, fetch, fetch_ref, fetch_refs, page
from openmsp.core.errors import NotFound, PermissionDenied
from openmsp.tenants.queries import clients_visible_to, sites_visible_to

router = Router()

READ = (403, 404)
WRITE = (403, 404)


def _may_read(actor: Actor, what: str) -> None:
    if not may_read(actor, what):
        raise PermissionDenied(f"Your role does not allow viewing {what}.")


# --- Enrollment tokens --------------------------------------------------------------------------


@endpoint(router, "GET", "/enrollment-tokens", "List enrollment tokens", tag="agents", ok={200: EnrollmentTokenPage}, errors=(403,))  # fmt: skip
def list_enrollment_tokens(
    request: HttpRequest, query: Query[EnrollmentTokenQuery]
) -> dict[str, Any]:
    """Tokens of the clients you may see (the token text itself is never shown again). Needs
    agent.enroll."""
    actor = actor_from(request)
    _may_read(actor, "enrollment tokens")
    qs = enrollment_tokens_visible_to(actor)
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs, query)


@endpoint(router, "POST", "/enrollment-tokens", "Create an enrollment token", tag="agents", ok={201: EnrollmentTokenCreated}, errors=(403,))  # fmt: skip
def create_enrollment_token(
    request: HttpRequest, payload: EnrollmentTokenIn
) -> Status[EnrollmentToken]:
    """A token agents enroll with for this client (and site). The answer carries `token`, shown
    only this once. Default expiry 7 days. Needs agent.enroll."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    site = fetch_ref(sites_visible_to(actor), "site", "site_id", payload.site_id)
    assert client is not None
    with api_field_names({"site": "site_id"}):
        token, text = actions.create_enrollment_token(
            actor=actor,
            client=client,
            site=site,
            name=payload.name,
            expires_at=payload.expires_at,
            max_uses=payload.max_uses,
        )
    token.token = text  # type: ignore[attr-defined]  # rendered once by EnrollmentTokenCreated
    return Status(201, token)


@endpoint(router, "GET", "/enrollment-tokens/{enrollment_token_id}", "Get an enrollment token", tag="agents", ok={200: EnrollmentTokenOut}, errors=READ)  # fmt: skip
def get_enrollment_token(request: HttpRequest, enrollment_token_id: int) -> EnrollmentToken:
    actor = actor_from(request)
    token = fetch(enrollment_tokens_visible_to(actor), "enrollment token", pk=enrollment_token_id)
    _may_read(actor, "enrollment tokens")
    return token


@endpoint(router, "DELETE", "/enrollment-tokens/{enrollment_token_id}", "Revoke an enrollment token", tag="agents", ok={204: None}, errors=WRITE)  # fmt: skip
def revoke_enrollment_token(request: HttpRequest, enrollment_token_id: int) -> Status[None]:
    """The token stops enrolling at once; agents already enrolled keep working."""
    actor = actor_from(request)
    token = fetch(enrollment_tokens_visible_to(actor), "enrollment token", pk=enrollment_token_id)
    actions.revoke_enrollment_token(actor=actor, token=token)
    return Status(204, None)


# --- Agents -------------------------------------------------------------------------------------


@endpoint(router, "POST", "/assets/{asset_id}/agent/revoke", "Revoke an asset's agent", tag="agents", ok={200: AssetOut}, errors=WRITE)  # fmt: skip
def revoke_agent(request: HttpRequest, asset_id: int) -> Any:
    """The agent's next request is refused ("agent revoked") and its queued commands are
    cancelled. The host can enroll again (same asset). Needs agent.enroll."""
    actor = actor_from(request)
    asset = get_asset(actor, asset_id)
    agent = agents_visible_to(actor).filter(asset=asset).first()
    if agent is None:
        raise NotFound("This asset has no agent.")
    actions.revoke_agent(actor=actor, agent=agent, reason="revoked through the API")
    return get_asset(actor, asset_id)


# --- Commands -----------------------------------------------------------------------------------


@endpoint(router, "GET", "/commands", "List commands", tag="commands", ok={200: CommandPage}, errors=(403,))  # fmt: skip
def list_commands(request: HttpRequest, query: Query[CommandQuery]) -> dict[str, Any]:
    """Newest first. Needs command.run or audit.view."""
    actor = actor_from(request)
    _may_read(actor, "commands")
    qs = commands_visible_to(actor)
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    if query.asset_id is not None:
        qs = qs.filter(
            pk__in=CommandRun.objects.filter(asset_id=query.asset_id).values("command_id")
        )
    return page(request, qs, query)


@endpoint(router, "POST", "/commands", "Run a command", tag="commands", ok={201: CommandDetailOut}, errors=(403,))  # fmt: skip
def run_command(request: HttpRequest, payload: CommandIn) -> Status[Command]:
    """Queue a script on one or more assets of one client, each with an active agent. Agents get
    it within seconds (long poll), signed; until `not_after` (one hour). Needs command.run; the
    script is written to the audit log."""
    actor = actor_from(request)
    assets = fetch_refs(assets_visible_to(actor), "asset", "asset_ids", payload.asset_ids)
    with api_field_names({"assets": "asset_ids", "timeout": "timeout_seconds"}):
        command = actions.run_command(
            actor=actor,
            assets=assets,
            script=payload.script,
            interpreter=payload.interpreter,
            timeout=payload.timeout_seconds,
            run_as=payload.run_as,
        )
    return Status(201, fetch(commands_visible_to(actor), "command", pk=command.pk))


@endpoint(router, "GET", "/commands/{command_id}", "Get a command with its runs", tag="commands", ok={200: CommandDetailOut}, errors=READ)  # fmt: skip
def get_command(request: HttpRequest, command_id: int) -> Command:
    actor = actor_from(request)
    command = fetch(commands_visible_to(actor), "command", pk=command_id)
    _may_read(actor, "commands")
    return command


@endpoint(router, "POST", "/commands/{command_id}/cancel", "Cancel a command", tag="commands", ok={200: CommandDetailOut}, errors=WRITE)  # fmt: skip
def cancel_command(request: HttpRequest, command_id: int) -> Command:
    """Runs not yet delivered are cancelled; runs already on a host finish. Needs command.run."""
    actor = actor_from(request)
    command = fetch(commands_visible_to(actor), "command", pk=command_id)
    actions.cancel_command(actor=actor, command=command)
    return fetch(commands_visible_to(actor), "command", pk=command_id)


@endpoint(router, "GET", "/command-runs/{command_run_id}", "Get a run's output", tag="commands", ok={200: CommandRunOut}, errors=READ)  # fmt: skip
def get_command_run(request: HttpRequest, command_run_id: uuid.UUID) -> CommandRun:
    """Status, exit code and output (stdout and stderr, at most 1 MiB each)."""
    actor = actor_from(request)
    run = fetch(command_runs_visible_to(actor), "command run", pk=command_run_id)
    _may_read(actor, "commands")
    return run
