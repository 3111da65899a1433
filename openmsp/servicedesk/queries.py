"""Tenant-scoped reads of tickets, their conversation, attachments and the desk's lists.

MSP staff see the tickets of the clients they may see (openmsp.tenants.queries); a client admin
sees all of their client's; a client user sees the tickets they requested or watch. Internal notes
are staff-only. A ticket the actor may not see is a NotFound (404).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from openmsp.accounts.roles import Role
from openmsp.core import textsearch
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.servicedesk.models import (
    Attachment,
    Category,
    Mailbox,
    MailMessage,
    SavedView,
    SlaPolicy,
    Team,
    Ticket,
    TicketEntry,
    TicketEvent,
    TicketStatus,
)
from openmsp.tenants.queries import scope

# What ticket search reads, indexed for substring search (openmsp.core.textsearch).
TICKET_TEXT = textsearch.Indexed("servicedesk_ticket", ("subject", "number"))
TICKET_ENTRY_TEXT = textsearch.Indexed("servicedesk_ticketentry", ("body",))
ORDERINGS = (
    "created_at", "-created_at", "updated_at", "-updated_at", "priority", "-priority",
    "number", "-number", "subject", "-subject", "resolution_due", "-resolution_due",
    "next_due", "-next_due",
)  # fmt: skip


def is_staff(actor: Actor) -> bool:
    return actor.user is None or actor.user.is_msp_staff


def tickets_visible_to(actor: Actor) -> QuerySet[Ticket]:
    qs = scope(
        actor,
        Ticket.objects.select_related(
            "client", "status", "assignee", "team", "category", "requester_user",
            "requester_contact",
        ),
    )  # fmt: skip
    user = actor.user
    if user is not None and user.role == Role.CLIENT_USER:
        qs = qs.filter(Q(requester_user=user) | Q(watchers=user)).distinct()
    return qs


def get_ticket(actor: Actor, ticket_id: int | str) -> Ticket:
    try:
        return tickets_visible_to(actor).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such ticket.") from None


def get_tickets(actor: Actor, ids: Sequence[int]) -> list[Ticket]:
    """All of them or NotFound: a bulk change never silently skips one."""
    rows = list(tickets_visible_to(actor).filter(pk__in=list(ids)))
    if len(rows) != len(set(ids)):
        raise NotFound("No such ticket.")
    return rows


def filter_tickets(
    qs: QuerySet[Ticket],
    *,
    status: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    team_id: int | None = None,
    client_id: int | None = None,
    q: str | None = None,
    open_only: bool = False,
) -> QuerySet[Ticket]:
    if status:
        qs = qs.filter(status__code=status)
    if category:
        qs = qs.filter(status__category=category)
    if open_only:
        qs = qs.exclude(status__category__in=["resolved", "closed"])
    if priority:
        qs = qs.filter(priority=priority)
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if q:
        qs = search_tickets(qs, q)
    return qs


def search_tickets(qs: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Subject or any message body contains `q` (case-insensitive), or `q` is the ticket's
    number (`T000123`, `#123` or `123`).

    Through the trigram indexes (openmsp.core.textsearch). PostgreSQL: each arm of the union
    below is answered from its own index (the number from its unique one: in one arm with the
    subject, the OR would make the planner scan every subject), and a ticket matching in many
    messages is one row without a join or DISTINCT. SQLite: the FTS5 tables give the candidate
    tickets and the same lookups decide among them."""
    number = ticket_number_in(q)
    found = candidates_of_search(q)
    if found is not None:
        exact = Q(subject__icontains=q)
        in_body = Exists(TicketEntry.objects.filter(ticket_id=OuterRef("pk"), body__icontains=q))
        matches = qs.filter(pk__in=found).filter(exact | in_body)
        return matches | qs.filter(number=number) if number else matches
    subjects = Ticket.objects.filter(subject__icontains=q).order_by().values("pk")
    bodies = TicketEntry.objects.filter(body__icontains=q).order_by().values("ticket_id")
    arms = [bodies]
    if number:
        arms.append(Ticket.objects.filter(number=number).order_by().values("pk"))
    return qs.filter(pk__in=subjects.union(*arms, all=True))


def ticket_number_in(q: str) -> str | None:
    """The ticket number `q` names, if it is one: `T000123`, `t123`, `#123`, `123`."""
    found = re.fullmatch(r"#?[Tt]?0*(\d{1,12})", q.strip())
    return f"T{int(found.group(1)):06d}" if found else None


def candidates_of_search(q: str) -> RawSQL | None:
    """SQLite: the ids of tickets that may match (subject, number or a body), from FTS5."""
    from django.db import connection

    subjects = textsearch.candidates(connection, TICKET_TEXT, [q])
    bodies = textsearch.candidates(connection, TICKET_ENTRY_TEXT, [q])
    if subjects is None or bodies is None:
        return None
    entry = TicketEntry._meta.db_table
    sql = f"{subjects[0]} UNION SELECT ticket_id FROM {entry} WHERE id IN ({bodies[0]})"  # noqa: S608
    return RawSQL(sql, (*subjects[1], *bodies[1]))  # noqa: S611 (the query is a parameter)


def order_tickets(qs: QuerySet[Ticket], ordering: str) -> QuerySet[Ticket]:
    if ordering not in ORDERINGS:
        ordering = "-created_at"
    if ordering.lstrip("-") == "next_due":  # tickets with no running clock last, either way
        due = F("next_due")
        key = due.desc(nulls_last=True) if ordering.startswith("-") else due.asc(nulls_last=True)
        return qs.order_by(key, "pk")
    # Ties by number in the same direction, as the API's ordering does, so one index
    # (field, id) serves the page and the API, forwards or backwards.
    return qs.order_by(ordering, "-pk" if ordering.startswith("-") else "pk")


def policies_visible_to(actor: Actor) -> QuerySet[SlaPolicy]:
    """MSP staff only: the MSP-wide policies and those of the clients they see."""
    from openmsp.tenants.queries import visible_client_ids

    if not is_staff(actor):
        return SlaPolicy.objects.none()
    qs = SlaPolicy.objects.select_related("client", "contract", "category").prefetch_related(
        "clocks__calendar", "steps__user", "steps__team"
    )
    ids = visible_client_ids(actor)
    if ids is None:
        return qs.order_by("position", "pk")
    return qs.filter(Q(client__isnull=True) | Q(client__in=ids)).order_by("position", "pk")


def get_policy(actor: Actor, policy_id: int | str) -> SlaPolicy:
    try:
        return policies_visible_to(actor).get(pk=policy_id)
    except (SlaPolicy.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such SLA policy.") from None


def entries_of(actor: Actor, ticket: Ticket) -> QuerySet[TicketEntry]:
    qs = TicketEntry.objects.filter(ticket=ticket).select_related("author", "author_contact")
    if not is_staff(actor):
        qs = qs.exclude(kind=TicketEntry.Kind.NOTE)
    return qs.prefetch_related("attachments").order_by("created_at", "pk")


def events_of(ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket).order_by("at", "pk")


def attachments_of(actor: Actor, ticket: Ticket) -> QuerySet[Attachment]:
    qs = Attachment.objects.filter(ticket=ticket)
    if not is_staff(actor):
        qs = qs.exclude(entry__kind=TicketEntry.Kind.NOTE)
    return qs.order_by("created_at", "pk")


def get_attachment(actor: Actor, attachment_id: int | str) -> Attachment:
    """Through the ticket: an attachment is visible exactly when its ticket (and entry) is."""
    try:
        att: Attachment = Attachment.objects.select_related("ticket", "entry").get(pk=attachment_id)
    except (Attachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such attachment.") from None
    ticket = get_ticket(actor, att.ticket_id)
    if not attachments_of(actor, ticket).filter(pk=att.pk).exists():
        raise NotFound("No such attachment.")
    return att


def teams_visible_to(actor: Actor) -> QuerySet[Team]:
    return scope(actor, Team.objects.select_related("client"))


def categories_visible_to(actor: Actor) -> QuerySet[Category]:
    return scope(actor, Category.objects.select_related("client"))


def statuses_visible_to(actor: Actor) -> QuerySet[TicketStatus]:
    from openmsp.tenants.queries import visible_client_ids

    ids = visible_client_ids(actor)
    qs = TicketStatus.objects.all()
    if ids is None:
        return qs
    return qs.filter(Q(client__isnull=True) | Q(client__in=ids))


def saved_views_of(actor: Actor) -> QuerySet[SavedView]:
    if actor.user is None:
        return SavedView.objects.none()
    return SavedView.objects.filter(owner=actor.user)


def get_saved_view(actor: Actor, view_id: int | str) -> SavedView:
    try:
        return saved_views_of(actor).get(pk=view_id)
    except (SavedView.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such saved view.") from None


# --- mail set-up (MSP admins) ------------------------------------------------------------------
def mailboxes_visible_to(actor: Actor) -> QuerySet[Mailbox]:
    """The MSP's mailboxes: the shared ones and those of clients the actor sees; refused (403)
    for roles without Perm.MAIL_MANAGE whatever the mailbox, so an id tells an outsider nothing."""
    from django.db.models import Q

    from openmsp.accounts.roles import Perm
    from openmsp.core.errors import PermissionDenied
    from openmsp.tenants.queries import clients_visible_to

    user = actor.user
    if user is not None and (not user.is_msp_staff or not user.has_perm_to(Perm.MAIL_MANAGE)):
        raise PermissionDenied("Your role does not allow this.")
    qs = Mailbox.objects.select_related("client")
    return qs.filter(Q(client__isnull=True) | Q(client__in=clients_visible_to(actor)))


def get_mailbox(actor: Actor, mailbox_id: int | str) -> Mailbox:
    try:
        return mailboxes_visible_to(actor).get(pk=mailbox_id)
    except (Mailbox.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such mailbox.") from None


def mail_of(actor: Actor, ticket: Ticket) -> QuerySet[MailMessage]:
    """The mail of a ticket the actor may see (the email source on the ticket page; staff)."""
    return MailMessage.objects.filter(ticket=ticket).select_related("mailbox").order_by("pk")
