"""Watching a ticket: its watchers are mailed its public updates (openmsp.servicedesk.mail_out
.watchers_updated) and a client user watcher sees it in the portal. Staff add and remove anyone
who may see the ticket; everyone who sees the ticket may stop watching it (that is the
unsubscribe). Audited."""

from __future__ import annotations

from django.db import transaction

from openmsp.accounts.models import User
from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.servicedesk.models import Ticket

MAX_WATCHERS = 50


def may_watch(ticket: Ticket, user: User) -> bool:
    """An active user of the ticket's client, or MSP staff who work for that client."""
    from openmsp.tenants.queries import clients_visible_to

    if not user.is_active:
        return False
    if user.client_id is not None:
        return user.client_id == ticket.client_id
    return (
        user.is_msp_staff
        and clients_visible_to(Actor(user=user)).filter(pk=ticket.client_id).exists()
    )


def _may_change_others(actor: Actor) -> bool:
    return actor.user is None or actor.user.is_msp_staff


@transaction.atomic
def add_watcher(*, actor: Actor, ticket: Ticket, user: User) -> bool:
    """True when the user was added (False: watching already)."""
    require(actor, Perm.WORK)
    if actor.user != user and not _may_change_others(actor):
        raise PermissionDenied("Only the service desk adds other people as watchers.")
    if not may_watch(ticket, user):
        raise ValidationFailed(
            "A watcher must be an active user of the ticket's client or a technician working "
            "for it.",
            field="user",
        )
    if ticket.watchers.filter(pk=user.pk).exists():
        return False
    if ticket.watchers.count() >= MAX_WATCHERS:
        raise ValidationFailed(f"A ticket has at most {MAX_WATCHERS} watchers.", field="user")
    ticket.watchers.add(user)
    audit.record(actor=actor, action="ticket.watcher_added", obj=ticket, after={"user": user.pk})
    return True


@transaction.atomic
def remove_watcher(*, actor: Actor, ticket: Ticket, user: User) -> bool:
    """True when the user was removed; anyone may remove themselves (stop watching)."""
    if actor.user != user:
        require(actor, Perm.WORK)
        if not _may_change_others(actor):
            raise PermissionDenied("Only the service desk removes other watchers.")
    if not ticket.watchers.filter(pk=user.pk).exists():
        return False
    ticket.watchers.remove(user)
    audit.record(actor=actor, action="ticket.watcher_removed", obj=ticket, before={"user": user.pk})
    return True
