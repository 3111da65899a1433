"""Tenant-scoped reads of enrollment tokens, agents, commands and command runs.

Read permissions beyond tenant visibility (who may list tokens or see command output) are the
callers' to check with `openmsp.core.apiutils.require_to_read`: see READ_PERMISSIONS.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from openmsp.accounts.roles import Perm
from openmsp.agent_api.models import Agent, Command, CommandRun, EnrollmentToken
from openmsp.core.actor import Actor
from openmsp.tenants.queries import scope

# What a user needs, besides seeing the client, to read these: tokens are credentials of the
# MSP's staff; scripts and their output may carry the MSP's secrets.
READ_PERMISSIONS = {
    "enrollment tokens": (Perm.AGENT_ENROLL,),
    "commands": (Perm.COMMAND_RUN, Perm.AUDIT_VIEW),
}


def may_read(actor: Actor, what: str) -> bool:
    user = actor.user
    return user is None or any(user.has_perm_to(p) for p in READ_PERMISSIONS[what])


def enrollment_tokens_visible_to(actor: Actor) -> QuerySet[EnrollmentToken]:
    return scope(actor, EnrollmentToken.objects.select_related("client", "site", "created_by"))


def agents_visible_to(actor: Actor) -> QuerySet[Agent]:
    return scope(actor, Agent.objects.select_related("asset", "client"))


def commands_visible_to(actor: Actor) -> QuerySet[Command]:
    """Commands with their runs (and the runs' assets) loaded, and counts per status."""
    runs = (
        CommandRun.objects.select_related("asset")
        .defer("stdout", "stderr")
        .order_by("created_at", "pk")
    )
    commands: QuerySet[Command] = (
        scope(actor, Command.objects.select_related("client", "created_by"))
        .prefetch_related(Prefetch("runs", queryset=runs))
        .annotate(
            run_count=Count("runs"),
            open_count=Count("runs", filter=Q(runs__status__in=["queued", "delivered"])),
        )
    )
    return commands


def command_runs_visible_to(actor: Actor) -> QuerySet[CommandRun]:
    return scope(actor, CommandRun.objects.select_related("command", "asset", "agent"))
