"""REST endpoints for tickets: list/filter, open, change, converse, merge, split, link, bulk.

Reading needs only to see the ticket (queries.tickets_visible_to). Client users may open tickets
and reply; everything else is the desk's (Perm.WORK and MSP staff). Another client's ticket is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.accounts.queries import users_visible_to
from openmsp.accounts.roles import Role
from openmsp.assets.queries import assets_visible_to
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    ListQuery,
    api_field_names,
    changes_of,
    endpoint,
    fetch_ref,
    fetch_refs,
    page,
    path_object,
)
from openmsp.core.errors import PermissionDenied
from openmsp.servicedesk import actions, policy_actions
from openmsp.servicedesk.models import SlaPolicy, Ticket, TicketEntry, TicketLink, TicketStatus
from openmsp.servicedesk.queries import (
    categories_visible_to,
    entries_of,
    events_of,
    filter_tickets,
    get_policy,
    get_ticket,
    get_tickets,
    policies_visible_to,
    statuses_visible_to,
    teams_visible_to,
    tickets_visible_to,
)
from openmsp.servicedesk.schemas import (
    AssignIn,
    BulkIn,
    BulkOut,
    EntryIn,
    EntryOut,
    EntryPage,
    EventOut,
    LinkIn,
    LinkOut,
    MergeIn,
    MoveIn,
    PriorityIn,
    SlaPolicyIn,
    SlaPolicyOut,
    SplitIn,
    StatusIn,
    StatusOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TicketQuery,
)
from openmsp.tenants.queries import (
    calendars_visible_to,
    clients_visible_to,
    contacts_visible_to,
    contracts_visible_to,
)

router = Router()
READ = (404,)
WRITE = (403, 404)
TAG = "tickets"
_FIELDS = {
    "assignee": "assignee_id", "team": "team_id", "category": "category_id",
    "requester_contact": "requester_contact_id", "watchers": "watcher_ids", "assets": "asset_ids",
    "target_id": "target_id",
}  # fmt: skip

path_object("ticket_id", get_ticket)
path_object("sla_policy_id", get_policy)
POLICY_TAG = "sla-policies"


def _refs(actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Body ids to objects the actor may see (a 422 naming the field otherwise)."""
    singles = {
        "assignee_id": ("assignee", users_visible_to(actor), "user"),
        "team_id": ("team", teams_visible_to(actor), "team"),
        "category_id": ("category", categories_visible_to(actor), "category"),
        "requester_contact_id": ("requester_contact", contacts_visible_to(actor), "contact"),
    }
    for field, (name, qs, what) in singles.items():
        if field in changes:
            changes[name] = fetch_ref(qs, what, field, changes.pop(field))
    if "watcher_ids" in changes:
        changes["watchers"] = fetch_refs(
            users_visible_to(actor), "user", "watcher_ids", changes.pop("watcher_ids")
        )
    if "asset_ids" in changes:
        changes["assets"] = fetch_refs(
            assets_visible_to(actor), "asset", "asset_ids", changes.pop("asset_ids")
        )
    return changes


@endpoint(router, "GET", "/tickets", "List tickets", tag=TAG, ok={200: TicketPage})
def list_tickets(request: HttpRequest, query: Query[TicketQuery]) -> dict[str, Any]:
    """Tickets you may see, filtered on the server and sorted by `ordering` (`next_due`: the
    earliest due time of a running SLA clock; tickets without one sort last)."""
    qs = filter_tickets(
        tickets_visible_to(actor_from(request)),
        status=query.status,
        category=query.status_category,
        open_only=bool(query.open),
        priority=query.priority,
        assignee_id=query.assignee_id,
        unassigned=bool(query.unassigned),
        team_id=query.team_id,
        client_id=query.client_id,
        q=query.q,
    )
    far = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    qs = qs.annotate(next_due_key=Coalesce("next_due", Value(far)))
    rows = None
    if query.q:  # the page's ids and a capped count in one query (core.paging)
        visible = tickets_visible_to(actor_from(request))
        rows = lambda ids: visible.filter(pk__in=ids)  # noqa: E731
    return page(request, qs, query, aliases={"next_due": "next_due_key"}, search_rows=rows)


@endpoint(router, "POST", "/tickets", "Open a ticket", tag=TAG, ok={201: TicketOut}, errors=(403, 409))  # fmt: skip
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[Ticket]:
    """Priority follows impact x urgency (1 high .. 3 low). A client user's ticket is theirs."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    fields = _refs(actor, changes_of(payload))
    fields.pop("client_id", None)
    with api_field_names(_FIELDS):
        t = actions.open_ticket(actor=actor, client=client, source=Ticket.Source.API, **fields)
    return Status(201, get_ticket(actor, t.pk))


# Before /tickets/{ticket_id}: ninja's path parameter would match 'bulk' first.
@endpoint(router, "POST", "/tickets/bulk", "Bulk update", tag=TAG, ok={200: BulkOut}, errors=WRITE)  # fmt: skip
def bulk(request: HttpRequest, payload: BulkIn) -> dict[str, int]:
    """All listed tickets change, or (on the first refusal) none does."""
    actor = actor_from(request)
    tickets = get_tickets(actor, payload.ticket_ids)
    assignee: Any = False
    if payload.assignee_id is not None:
        assignee = (
            None
            if payload.assignee_id == 0
            else fetch_ref(users_visible_to(actor), "user", "assignee_id", payload.assignee_id)
        )
    with api_field_names(_FIELDS):
        n = actions.bulk_update(
            actor=actor,
            tickets=tickets,
            status=payload.status,
            priority=payload.priority,
            assignee=assignee,
        )
    return {"updated": n}


@endpoint(router, "GET", "/tickets/{ticket_id}", "Get a ticket", tag=TAG, ok={200: TicketOut}, errors=READ)  # fmt: skip
def get_one_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return get_ticket(actor_from(request), ticket_id)


@endpoint(router, "PATCH", "/tickets/{ticket_id}", "Change a ticket", tag=TAG, ok={200: TicketOut}, errors=WRITE)  # fmt: skip
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> Ticket:
    """Subject, type, category, tags, requester contact, watchers, linked assets."""
    actor = actor_from(request)
    t = get_ticket(actor, ticket_id)
    changes = _refs(actor, changes_of(payload))
    with api_field_names(_FIELDS):
        actions.update_ticket(actor=actor, ticket=t, changes=changes)
    return get_ticket(actor, ticket_id)


@endpoint(router, "GET", "/tickets/{ticket_id}/entries", "Conversation", tag=TAG, ok={200: EntryPage}, errors=READ)  # fmt: skip
def list_entries(request: HttpRequest, ticket_id: int, query: Query[ListQuery]) -> dict[str, Any]:
    """Oldest first. Internal notes only for the MSP's staff."""
    actor = actor_from(request)
    return page(request, entries_of(actor, get_ticket(actor, ticket_id)), query)


@endpoint(router, "POST", "/tickets/{ticket_id}/entries", "Reply or note", tag=TAG, ok={201: EntryOut}, errors=WRITE)  # fmt: skip
def add_entry(request: HttpRequest, ticket_id: int, payload: EntryIn) -> Status[TicketEntry]:
    """`kind=reply` is public (the customer sees it); `kind=note` is internal (staff only)."""
    actor = actor_from(request)
    t = get_ticket(actor, ticket_id)
    if payload.kind == "note":
        entry = actions.note(actor=actor, ticket=t, body=payload.body)
    else:
        entry = actions.reply(actor=actor, ticket=t, body=payload.body)
    return Status(201, entry)


@endpoint(router, "GET", "/tickets/{ticket_id}/events", "History", tag=TAG, ok={200: list[EventOut]}, errors=READ)  # fmt: skip
def list_events(request: HttpRequest, ticket_id: int) -> list[Any]:
    """Append-only: created, status and priority changes, replies, resolved, reopened."""
    return list(events_of(get_ticket(actor_from(request), ticket_id))[:1000])


@endpoint(router, "POST", "/tickets/{ticket_id}/status", "Change the status", tag=TAG, ok={200: TicketOut}, errors=WRITE)  # fmt: skip
def set_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> Ticket:
    actor = actor_from(request)
    actions.change_status(actor=actor, ticket=get_ticket(actor, ticket_id), status=payload.status)
    return get_ticket(actor, ticket_id)


@endpoint(router, "POST", "/tickets/{ticket_id}/priority", "Change the priority", tag=TAG, ok={200: TicketOut}, errors=WRITE)  # fmt: skip
def set_priority(request: HttpRequest, ticket_id: int, payload: PriorityIn) -> Ticket:
    """New impact and/or urgency (the matrix decides), or an explicit `priority`."""
    actor = actor_from(request)
    actions.change_priority(
        actor=actor,
        ticket=get_ticket(actor, ticket_id),
        impact=payload.impact,
        urgency=payload.urgency,
        priority=payload.priority,
    )
    return get_ticket(actor, ticket_id)


@endpoint(router, "POST", "/tickets/{ticket_id}/assign", "Assign", tag=TAG, ok={200: TicketOut}, errors=WRITE)  # fmt: skip
def set_assignee(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Ticket:
    """`assignee_id` null unassigns; `team_id` is set only when sent."""
    actor = actor_from(request)
    t = get_ticket(actor, ticket_id)
    refs = _refs(actor, changes_of(payload))
    with api_field_names(_FIELDS):
        actions.assign(
            actor=actor, ticket=t, assignee=refs.get("assignee"), team=refs.get("team", False)
        )
    return get_ticket(actor, ticket_id)


def _other(actor: Actor, target_id: int) -> Ticket:
    ticket = fetch_ref(tickets_visible_to(actor), "ticket", "target_id", target_id)
    assert ticket is not None
    return ticket


@endpoint(router, "POST", "/tickets/{ticket_id}/merge", "Merge into another", tag=TAG, ok={200: TicketOut}, errors=WRITE)  # fmt: skip
def merge(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Ticket:
    """This ticket's conversation moves to `target_id`; this one closes as its duplicate."""
    actor = actor_from(request)
    source = get_ticket(actor, ticket_id)
    target = _other(actor, payload.target_id)
    with api_field_names(_FIELDS):
        actions.merge(actor=actor, source=source, target=target)
    return get_ticket(actor, target.pk)


@endpoint(router, "POST", "/tickets/{ticket_id}/split", "Split entries off", tag=TAG, ok={201: TicketOut}, errors=WRITE)  # fmt: skip
def split(request: HttpRequest, ticket_id: int, payload: SplitIn) -> Status[Ticket]:
    actor = actor_from(request)
    new = actions.split(
        actor=actor,
        ticket=get_ticket(actor, ticket_id),
        entry_ids=payload.entry_ids,
        subject=payload.subject,
    )
    return Status(201, get_ticket(actor, new.pk))


@endpoint(router, "POST", "/tickets/{ticket_id}/links", "Link tickets", tag=TAG, ok={201: LinkOut}, errors=WRITE)  # fmt: skip
def add_link(request: HttpRequest, ticket_id: int, payload: LinkIn) -> Status[TicketLink]:
    actor = actor_from(request)
    source = get_ticket(actor, ticket_id)
    row = actions.link(
        actor=actor, source=source, target=_other(actor, payload.target_id), kind=payload.kind
    )
    return Status(201, row)


@endpoint(router, "GET", "/ticket-statuses", "Ticket statuses", tag=TAG, ok={200: list[StatusOut]})
def list_statuses(request: HttpRequest) -> list[TicketStatus]:
    """The MSP-wide statuses and the client-specific ones you may see."""
    return list(statuses_visible_to(actor_from(request)))


# --- SLA policies -------------------------------------------------------------------------------
def _policy_fields(actor: Actor, payload: SlaPolicyIn) -> dict[str, Any]:
    """Body ids to objects the actor may see; a 422 naming the field otherwise."""
    users = users_visible_to(actor).filter(client__isnull=True)
    clocks: dict[str, Any] = {}
    for name, c in payload.clocks.items():
        field = f"clocks.{name}"
        steps = [
            {
                "offset_minutes": s.offset_minutes,
                "action": s.action,
                "user": fetch_ref(users, "user", f"{field}.steps.{i}.user_id", s.user_id),
                "team": fetch_ref(teams_visible_to(actor), "team", f"{field}.steps.{i}.team_id", s.team_id),
            }
            for i, s in enumerate(c.steps)
        ]  # fmt: skip
        calendar = fetch_ref(
            calendars_visible_to(actor), "calendar", f"{field}.calendar_id", c.calendar_id
        )
        clocks[name] = {
            "target_minutes": c.target_minutes, "calendar": c.calendar, "calendar_obj": calendar,
            "warn_percent": c.warn_percent, "steps": steps,
        }  # fmt: skip
    return {
        "name": payload.name,
        "client": fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id),
        "contract": fetch_ref(
            contracts_visible_to(actor), "contract", "contract_id", payload.contract_id
        ),
        "category": fetch_ref(
            categories_visible_to(actor), "category", "category_id", payload.category_id
        ),
        "priorities": [str(p) for p in payload.priorities],
        "ticket_types": [str(t) for t in payload.ticket_types],
        "asset_criticalities": list(payload.asset_criticalities),
        "clocks_spec": clocks,
    }


def _policy_reader(request: HttpRequest) -> Actor:
    actor = actor_from(request)
    if actor.user is not None and actor.user.role in (Role.CLIENT_ADMIN, Role.CLIENT_USER):
        raise PermissionDenied("Only the MSP's staff see SLA policies.")
    return actor


@endpoint(router, "GET", "/sla-policies", "List SLA policies", tag=POLICY_TAG, ok={200: list[SlaPolicyOut]}, errors=(403,))  # fmt: skip
def list_policies(request: HttpRequest) -> list[SlaPolicy]:
    """In match order: the first policy whose every set condition holds applies to a ticket."""
    return list(policies_visible_to(_policy_reader(request)))


@endpoint(router, "POST", "/sla-policies", "Create an SLA policy", tag=POLICY_TAG, ok={201: SlaPolicyOut}, errors=(403,))  # fmt: skip
def create_policy(request: HttpRequest, payload: SlaPolicyIn) -> Status[SlaPolicy]:
    """Added last in the order. Open tickets are recomputed."""
    actor = _policy_reader(request)
    row = policy_actions.save_policy(actor=actor, **_policy_fields(actor, payload))
    return Status(201, get_policy(actor, row.pk))


@endpoint(router, "GET", "/sla-policies/{sla_policy_id}", "Get an SLA policy", tag=POLICY_TAG, ok={200: SlaPolicyOut}, errors=READ)  # fmt: skip
def get_one_policy(request: HttpRequest, sla_policy_id: int) -> SlaPolicy:
    return get_policy(actor_from(request), sla_policy_id)


@endpoint(router, "PUT", "/sla-policies/{sla_policy_id}", "Replace an SLA policy", tag=POLICY_TAG, ok={200: SlaPolicyOut}, errors=WRITE)  # fmt: skip
def replace_policy(request: HttpRequest, sla_policy_id: int, payload: SlaPolicyIn) -> SlaPolicy:
    """Conditions, clocks and ladder are replaced; the position stays. Open tickets recompute."""
    actor = actor_from(request)
    row = get_policy(actor, sla_policy_id)
    policy_actions.save_policy(actor=actor, policy=row, **_policy_fields(actor, payload))
    return get_policy(actor, sla_policy_id)


@endpoint(router, "POST", "/sla-policies/{sla_policy_id}/move", "Move an SLA policy", tag=POLICY_TAG, ok={200: SlaPolicyOut}, errors=WRITE)  # fmt: skip
def move_policy(request: HttpRequest, sla_policy_id: int, payload: MoveIn) -> SlaPolicy:
    actor = actor_from(request)
    row = get_policy(actor, sla_policy_id)
    policy_actions.move_policy(actor=actor, policy=row, direction=payload.direction)
    return get_policy(actor, sla_policy_id)


@endpoint(router, "DELETE", "/sla-policies/{sla_policy_id}", "Delete an SLA policy", tag=POLICY_TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_policy(request: HttpRequest, sla_policy_id: int) -> Status[None]:
    actor = actor_from(request)
    policy_actions.delete_policy(actor=actor, policy=get_policy(actor, sla_policy_id))
    return Status(204, None)
