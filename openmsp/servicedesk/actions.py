"""Every change to a ticket: open, reply, note, status, priority, assignee, merge, split, link.

Each takes the actor, checks the role, saves, appends TicketEvent rows (the history the SLA engine
reads) and audits, in one transaction. Callers pass tickets fetched through
openmsp.servicedesk.queries, so tenant visibility is settled before an action runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from openmsp.accounts.models import User
from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.servicedesk import csat, hooks
from openmsp.servicedesk.models import (
    Attachment,
    Category,
    SavedView,
    Team,
    Ticket,
    TicketEntry,
    TicketEvent,
    TicketLink,
    TicketStatus,
)
from openmsp.servicedesk.priority import priority_of
from openmsp.tenants.models import Client, Contact

MAX_TAGS = 20
Upload: TypeAlias = "UploadedFile[Any]"
BODY_LIMIT = 100_000
Ev = TicketEvent.Kind
Cat = TicketStatus.Category


# --- helpers ------------------------------------------------------------------------------------
def _is_staff(actor: Actor) -> bool:
    return actor.user is None or actor.user.is_msp_staff


def _require_staff(actor: Actor) -> None:
    require(actor, Perm.WORK)
    if not _is_staff(actor):
        raise PermissionDenied("Only the service desk may do this.")


def status_by_code(client: Client, code: str) -> TicketStatus:
    """A client's own status of that code, else the MSP-wide one."""
    ensure_default_statuses()
    rows = list(TicketStatus.objects.filter(code=code, client__in=[client]).order_by("pk")) or list(
        TicketStatus.objects.filter(code=code, client__isnull=True)
    )
    if not rows:
        raise ValidationFailed(f"There is no status '{code}'.", field="status")
    return rows[0]


# The MSP-wide statuses a new installation starts with (the first migration seeds the same):
# code, name, category, the clocks it pauses.
DEFAULT_STATUSES = [
    ("new", "New", "new", []),
    ("open", "Open", "open", []),
    ("waiting_on_customer", "Waiting on customer", "pending", ["next_response", "resolution"]),
    ("waiting_on_third_party", "Waiting on third party", "pending", ["next_response"]),
    ("scheduled", "Scheduled", "pending", ["next_response", "resolution"]),
    ("resolved", "Resolved", "resolved", ["first_response", "next_response", "resolution"]),
    ("closed", "Closed", "closed", ["first_response", "next_response", "resolution"]),
]


def ensure_default_statuses() -> None:
    """Put the default MSP-wide statuses back when there are none at all (a database emptied
    after migrating, as test flushes do); never touches statuses that exist."""
    if TicketStatus.objects.filter(client__isnull=True).exists():
        return
    for position, (code, name, category, pauses) in enumerate(DEFAULT_STATUSES):
        TicketStatus.objects.get_or_create(
            client=None,
            code=code,
            defaults={"name": name, "category": category, "pauses": pauses, "position": position},
        )


def statuses_for(client_id: int | None) -> list[TicketStatus]:
    ensure_default_statuses()
    own = {s.code: s for s in TicketStatus.objects.filter(client_id=client_id)} if client_id else {}
    rows = [own.pop(s.code, s) for s in TicketStatus.objects.filter(client__isnull=True)]
    return rows + list(own.values())


def _first_in(client: Client, category: str) -> TicketStatus:
    for s in statuses_for(client.pk):
        if s.category == category:
            return s
    raise ValidationFailed(f"No status of category '{category}' is configured.", field="status")


def _event(ticket: Ticket, actor: Actor, kind: str, at: dt.datetime, **data: Any) -> None:
    TicketEvent.objects.create(
        client_id=ticket.client_id,
        ticket=ticket,
        kind=kind,
        at=at,
        actor_label=actor.label[:200],
        data=data,
    )


def _locked(ticket: Ticket) -> Ticket:
    t: Ticket = Ticket.objects.select_for_update().select_related("status").get(pk=ticket.pk)
    return t


def _same_client(client_id: int, obj: Any, field: str) -> None:
    if obj is not None and getattr(obj, "client_id", client_id) != client_id:
        raise ValidationFailed(f"The {field} belongs to another client.", field=field)


def _check_assignee(ticket: Ticket, user: User | None) -> None:
    if user is None:
        return
    from openmsp.tenants.queries import clients_visible_to

    if not user.is_active or not user.is_msp_staff or not user.has_perm_to(Perm.WORK):
        raise ValidationFailed("The assignee must be an active technician.", field="assignee")
    if not clients_visible_to(Actor(user=user)).filter(pk=ticket.client_id).exists():
        raise ValidationFailed("The assignee does not work for this client.", field="assignee")


def clean_tags(tags: Iterable[str]) -> list[str]:
    names = sorted({str(t).strip()[:50] for t in tags if str(t).strip()})
    if len(names) > MAX_TAGS:
        raise ValidationFailed(f"A ticket can have at most {MAX_TAGS} tags.", field="tags")
    return names


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("Write a message.", field="body")
    if len(body) > BODY_LIMIT:
        raise ValidationFailed(f"A message is at most {BODY_LIMIT} characters.", field="body")
    return body


def _state(t: Ticket) -> dict[str, Any]:
    return audit.snapshot(t, exclude=["sla_state"])


# --- open ---------------------------------------------------------------------------------------
@transaction.atomic
def open_ticket(
    *,
    actor: Actor,
    client: Client,
    subject: str,
    body: str = "",
    type: str = Ticket.Type.INCIDENT,
    impact: int = 3,
    urgency: int = 3,
    source: str | None = None,
    source_ref: str = "",
    requester_contact: Contact | None = None,
    requester_user: User | None = None,
    assignee: User | None = None,
    team: Team | None = None,
    category: Category | None = None,
    tags: Iterable[str] = (),
) -> Ticket:
    require(actor, Perm.WORK)
    staff = _is_staff(actor)
    if not staff:
        # A client user opens tickets for themselves; triage fields are the desk's.
        requester_user, requester_contact, assignee, team, category = (
            actor.user,
            None,
            None,
            None,
            None,
        )
        source = Ticket.Source.PORTAL
    subject = (subject or "").strip()
    if not subject or len(subject) > 300:
        raise ValidationFailed("A subject of 1-300 characters is needed.", field="subject")
    if type not in Ticket.Type.values:
        raise ValidationFailed(f"'{type}' is not a ticket type.", field="type")
    try:
        priority = priority_of(impact, urgency)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="impact") from None
    for obj, name in (
        (requester_contact, "requester_contact"),
        (team, "team"),
        (category, "category"),
    ):
        _same_client(client.pk, obj, name)
    if requester_user is not None and requester_user.client_id not in (None, client.pk):
        raise ValidationFailed("The requester belongs to another client.", field="requester_user")
    now = timezone.now()
    t = Ticket(
        client=client, subject=subject, type=type, impact=impact, urgency=urgency,
        priority=priority, status=_first_in(client, Cat.NEW), source=source or Ticket.Source.WEB,
        source_ref=source_ref, requester_contact=requester_contact, requester_user=requester_user,
        assignee=assignee, team=team, category=category, tags=clean_tags(tags),
        number=f"new-{uuid.uuid4().hex[:16]}",  # replaced by T<pk> below
    )  # fmt: skip
    _check_assignee(t, assignee)
    t.save()
    t.number = f"T{t.pk:06d}"
    t.save(update_fields=["number"])
    _event(t, actor, Ev.CREATED, now, priority=priority, status=t.status.code)
    if body.strip():
        TicketEntry.objects.create(
            client=client, ticket=t, kind=TicketEntry.Kind.REPLY, author=actor.user,
            author_contact=requester_contact, body=_check_body(body), from_customer=not staff or bool(requester_contact),
        )  # fmt: skip
    if actor.user is not None and not staff:
        t.watchers.add(actor.user)
    audit.record(actor=actor, action="ticket.created", obj=t, after=_state(t))
    hooks.changed(t)
    hooks.opened(t)
    return t


# --- conversation -------------------------------------------------------------------------------
@transaction.atomic
def reply(
    *,
    actor: Actor,
    ticket: Ticket,
    body: str,
    files: Sequence[Upload] = (),
    from_contact: Contact | None = None,
) -> TicketEntry:
    """A public message. From staff it answers the customer; from the customer it reopens."""
    require(actor, Perm.WORK)
    t = _locked(ticket)
    body = _check_body(body)
    customer = not _is_staff(actor) or from_contact is not None
    now = timezone.now()
    entry = TicketEntry.objects.create(
        client_id=t.client_id, ticket=t, kind=TicketEntry.Kind.REPLY, author=actor.user,
        author_contact=from_contact, body=body, from_customer=customer,
    )  # fmt: skip
    _attach(actor, t, entry, files)
    if customer:
        _event(t, actor, Ev.CUSTOMER_MESSAGE, now)
        if t.status.category in (Cat.PENDING, Cat.RESOLVED, Cat.CLOSED):
            _move(actor, t, _first_in(t.client, Cat.OPEN), now)
        from openmsp.servicedesk import mail_out

        mailed = mail_out.customer_wrote(t, entry)
        mail_out.watchers_updated(t, entry, mailed=mailed)
    else:
        _event(t, actor, Ev.PUBLIC_REPLY_BY_STAFF, now)
        if t.status.category == Cat.NEW:
            _move(actor, t, _first_in(t.client, Cat.OPEN), now)
        from openmsp.servicedesk import mail_out

        mail_out.staff_replied(t, entry)
        mail_out.watchers_updated(t, entry)
    t.save()
    audit.record(
        actor=actor, action="ticket.replied", obj=t, after={"entry": entry.pk, "customer": customer}
    )
    hooks.changed(t)
    return entry


@transaction.atomic
def note(*, actor: Actor, ticket: Ticket, body: str, files: Sequence[Upload] = ()) -> TicketEntry:
    """Internal: never shown to the client, never stops a clock."""
    _require_staff(actor)
    t = _locked(ticket)
    entry = TicketEntry.objects.create(
        client_id=t.client_id, ticket=t, kind=TicketEntry.Kind.NOTE, author=actor.user,
        body=_check_body(body),
    )  # fmt: skip
    _attach(actor, t, entry, files)
    audit.record(actor=actor, action="ticket.noted", obj=t, after={"entry": entry.pk})
    return entry


def _system_entry(t: Ticket, body: str) -> None:
    TicketEntry.objects.create(
        client_id=t.client_id, ticket=t, kind=TicketEntry.Kind.SYSTEM, body=body[:BODY_LIMIT]
    )


def system_note(ticket: Ticket, body: str) -> TicketEntry:
    """A system entry (mail intake's records: automatic replies, refused attachments)."""
    return TicketEntry.objects.create(
        client_id=ticket.client_id,
        ticket=ticket,
        kind=TicketEntry.Kind.SYSTEM,
        body=body[:BODY_LIMIT],
    )


def check_upload(f: Upload) -> None:
    limit = settings.SD_ATTACHMENT_MAX_BYTES
    if (f.size or 0) > limit:
        raise ValidationFailed(f"'{f.name}' is larger than {limit} bytes.", field="file")
    ctype = (f.content_type or "").split(";")[0].strip().lower()
    if ctype not in settings.SD_ATTACHMENT_TYPES:
        raise ValidationFailed(f"Files of type '{ctype}' cannot be attached.", field="file")


def attach_checked(
    actor: Actor, t: Ticket, entry: TicketEntry | None, files: Sequence[Upload]
) -> None:
    """Store files already passed through check_upload (mail intake records the refused ones)."""
    _attach(actor, t, entry, files)


def _attach(actor: Actor, t: Ticket, entry: TicketEntry | None, files: Sequence[Upload]) -> None:
    for f in files:
        check_upload(f)
        name = (f.name or "file").replace("/", "_").replace("\\", "_")[-200:]
        att = Attachment(
            client_id=t.client_id, ticket=t, entry=entry, name=name, size=f.size or 0,
            content_type=(f.content_type or "").split(";")[0].strip().lower(), uploaded_by=actor.user,
        )  # fmt: skip
        att.file.save(name, f, save=False)
        att.save()


@transaction.atomic
def add_attachment(*, actor: Actor, ticket: Ticket, file: Upload) -> Attachment:
    require(actor, Perm.WORK)
    t = _locked(ticket)
    _attach(actor, t, None, [file])
    att: Attachment = Attachment.objects.filter(ticket=t).latest("pk")
    audit.record(actor=actor, action="ticket.attached", obj=t, after={"attachment": att.name})
    return att


# --- fields -------------------------------------------------------------------------------------
def _move(actor: Actor, t: Ticket, new: TicketStatus, now: dt.datetime) -> None:
    """Set the status and append status_changed (and resolved/reopened) events."""
    old = t.status
    if old.pk == new.pk:
        return
    t.status = new
    _event(
        t, actor, Ev.STATUS_CHANGED, now,
        **{"from": old.code, "to": new.code, "from_category": old.category, "to_category": new.category},
    )  # fmt: skip
    closed = (Cat.RESOLVED, Cat.CLOSED)
    if new.category in closed and old.category not in closed:
        t.resolved_at = now
        _event(t, actor, Ev.RESOLVED, now)
        csat.ticket_resolved(t, now)
    elif old.category in closed and new.category not in closed:
        t.resolved_at = None
        _event(t, actor, Ev.REOPENED, now)
        csat.ticket_reopened(t)


@transaction.atomic
def change_status(*, actor: Actor, ticket: Ticket, status: TicketStatus | str) -> Ticket:
    _require_staff(actor)
    t = _locked(ticket)
    new = status_by_code(t.client, status) if isinstance(status, str) else status
    if new.client_id not in (None, t.client_id):
        raise ValidationFailed("That status belongs to another client.", field="status")
    before = t.status.code
    _move(actor, t, new, timezone.now())
    if before != new.code:
        t.save()
        audit.record(actor=actor, action="ticket.status_changed", obj=t,
                     before={"status": before}, after={"status": new.code})  # fmt: skip
        hooks.changed(t)
    return t


@transaction.atomic
def change_priority(
    *,
    actor: Actor,
    ticket: Ticket,
    impact: int | None = None,
    urgency: int | None = None,
    priority: str | None = None,
) -> Ticket:
    """From impact x urgency, or an explicit priority (an override the matrix does not undo)."""
    _require_staff(actor)
    t = _locked(ticket)
    old = t.priority
    t.impact = impact if impact is not None else t.impact
    t.urgency = urgency if urgency is not None else t.urgency
    try:
        computed = priority_of(t.impact, t.urgency)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="impact") from None
    if priority is not None and priority not in Ticket.Priority.values:
        raise ValidationFailed(f"'{priority}' is not a priority (P1-P4).", field="priority")
    t.priority = priority or computed
    t.save()
    if t.priority != old:
        _event(t, actor, Ev.PRIORITY_CHANGED, timezone.now(), **{"from": old, "to": t.priority})
        audit.record(actor=actor, action="ticket.priority_changed", obj=t,
                     before={"priority": old}, after={"priority": t.priority})  # fmt: skip
        hooks.changed(t)
    return t


@transaction.atomic
def assign(
    *, actor: Actor, ticket: Ticket, assignee: User | None, team: Team | bool | None = False
) -> Ticket:
    """`team=False` leaves the team as it is."""
    _require_staff(actor)
    t = _locked(ticket)
    before = {"assignee": t.assignee_id, "team": t.team_id}
    _check_assignee(t, assignee)
    t.assignee = assignee
    if team is not False:
        assert team is None or isinstance(team, Team)
        _same_client(t.client_id, team, "team")
        t.team = team
    after = {"assignee": t.assignee_id, "team": t.team_id}
    if after != before:
        t.save()
        _event(t, actor, Ev.ASSIGNED, timezone.now(), **after)
        audit.record(actor=actor, action="ticket.assigned", obj=t, before=before, after=after)
    return t


@transaction.atomic
def update_ticket(*, actor: Actor, ticket: Ticket, changes: Mapping[str, Any]) -> Ticket:
    """Subject, type, category, tags, requester contact, watchers and linked assets."""
    _require_staff(actor)
    t = _locked(ticket)
    before = _state(t)
    for name, value in changes.items():
        if name == "tags":
            t.tags = clean_tags(value or [])
        elif name in ("subject",):
            if not (value or "").strip() or len(value) > 300:
                raise ValidationFailed("A subject of 1-300 characters is needed.", field="subject")
            t.subject = value.strip()
        elif name == "type":
            if value not in Ticket.Type.values:
                raise ValidationFailed(f"'{value}' is not a ticket type.", field="type")
            t.type = value
        elif name in ("category", "requester_contact"):
            _same_client(t.client_id, value, name)
            setattr(t, name, value)
        elif name == "watchers":
            for u in value:
                if u.client_id not in (None, t.client_id):
                    raise ValidationFailed("A watcher belongs to another client.", field="watchers")
            t.watchers.set(value)
        elif name == "assets":
            for a in value:
                _same_client(t.client_id, a, "assets")
            t.assets.set(value)
        else:
            raise ValidationFailed(f"'{name}' cannot be changed here.", field=name)
    t.save()
    after = _state(t)
    changed = sorted(k for k in after if after[k] != before.get(k) and k != "updated_at")
    if changed or {"watchers", "assets"} & set(changes):
        audit.record(actor=actor, action="ticket.updated", obj=t,
                     before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})  # fmt: skip
    if {"category", "type", "assets"} & set(changes):
        hooks.changed(t)  # SLA policies match on these
    return t


# --- links, merge, split, bulk ------------------------------------------------------------------
@transaction.atomic
def link(*, actor: Actor, source: Ticket, target: Ticket, kind: str) -> TicketLink:
    _require_staff(actor)
    if kind not in TicketLink.Kind.values:
        raise ValidationFailed(f"'{kind}' is not a link kind.", field="kind")
    if source.pk == target.pk:
        raise ValidationFailed("A ticket cannot be linked to itself.", field="target_id")
    if source.client_id != target.client_id:
        raise ValidationFailed("Both tickets must belong to the same client.", field="target_id")
    row, created = TicketLink.objects.get_or_create(
        client_id=source.client_id, source=source, target=target, kind=kind
    )
    if created:
        audit.record(actor=actor, action="ticket.linked", obj=source,
                     after={"target": target.number, "kind": kind})  # fmt: skip
    return row


@transaction.atomic
def merge(*, actor: Actor, source: Ticket, target: Ticket) -> Ticket:
    """The source's conversation moves to the target; the source closes, linked as a duplicate."""
    _require_staff(actor)
    if source.pk == target.pk or source.client_id != target.client_id:
        raise ValidationFailed("Merge into another ticket of the same client.", field="target_id")
    src, dst = _locked(source), _locked(target)
    if src.merged_into_id:
        raise ValidationFailed("That ticket is already merged.", field="ticket")
    moved = TicketEntry.objects.filter(ticket=src).update(ticket=dst)
    Attachment.objects.filter(ticket=src).update(ticket=dst)
    for w in src.watchers.all():
        dst.watchers.add(w)
    now = timezone.now()
    _system_entry(dst, f"Merged from {src.number}: {src.subject}")
    _move(actor, src, _first_in(src.client, Cat.CLOSED), now)
    src.merged_into = dst
    src.save()
    _event(src, actor, Ev.MERGED, now, into=dst.number)
    TicketLink.objects.get_or_create(
        client_id=src.client_id, source=src, target=dst, kind=TicketLink.Kind.DUPLICATE
    )
    audit.record(actor=actor, action="ticket.merged", obj=src,
                 after={"into": dst.number, "entries_moved": moved})  # fmt: skip
    hooks.changed(src)
    return dst


@transaction.atomic
def split(*, actor: Actor, ticket: Ticket, entry_ids: Sequence[int], subject: str) -> Ticket:
    """The chosen entries move to a new ticket of the same client, linked as related."""
    _require_staff(actor)
    t = _locked(ticket)
    entries = list(TicketEntry.objects.filter(ticket=t, pk__in=list(entry_ids)))
    if not entries or len(entries) != len(set(entry_ids)):
        raise ValidationFailed("Choose entries of this ticket to split off.", field="entry_ids")
    new = open_ticket(
        actor=actor, client=t.client, subject=subject, type=t.type, impact=t.impact,
        urgency=t.urgency, requester_contact=t.requester_contact,
        requester_user=t.requester_user, team=t.team, category=t.category,
    )  # fmt: skip
    TicketEntry.objects.filter(pk__in=[e.pk for e in entries]).update(ticket=new)
    Attachment.objects.filter(entry__in=entries).update(ticket=new)
    TicketLink.objects.create(client_id=t.client_id, source=new, target=t, kind="related")
    _system_entry(t, f"Split into {new.number}: {new.subject}")
    audit.record(actor=actor, action="ticket.split", obj=t,
                 after={"new": new.number, "entries": sorted(e.pk for e in entries)})  # fmt: skip
    return new


@transaction.atomic
def bulk_update(
    *,
    actor: Actor,
    tickets: Sequence[Ticket],
    status: str | None = None,
    priority: str | None = None,
    assignee: User | bool | None = False,
) -> int:
    """One transaction: every ticket changes, or (on the first refusal) none does."""
    _require_staff(actor)
    for t in tickets:
        if status:
            change_status(actor=actor, ticket=t, status=status)
        if priority:
            change_priority(actor=actor, ticket=t, priority=priority)
        if assignee is not False:
            assert assignee is None or isinstance(assignee, User)
            assign(actor=actor, ticket=t, assignee=assignee)
    return len(tickets)


# --- saved views (a user's own queue filters; not tenant data) ---------------------------------
@transaction.atomic
def save_view(*, actor: Actor, name: str, query: str) -> SavedView:
    if actor.user is None:
        raise PermissionDenied("Saved views belong to a person.")
    name = name.strip()[:100]
    if not name:
        raise ValidationFailed("Name the view.", field="name")
    view, _created = SavedView.objects.update_or_create(
        owner=actor.user, name=name, defaults={"query": query[:1000]}
    )
    return view


@transaction.atomic
def delete_view(*, actor: Actor, view: SavedView) -> None:
    view.delete()


# --- the monitoring channel's hook points -------------------------------------------------------
_SEVERITY_LEVELS = {"critical": (1, 1), "major": (2, 1), "warning": (2, 2), "minor": (3, 2)}


@transaction.atomic
def open_or_annotate_from_problem(
    *,
    client: Client,
    fingerprint: str,
    title: str,
    summary: str = "",
    severity: str = "warning",
    asset: Any = None,
    actor: Actor | None = None,
) -> tuple[Ticket, bool]:
    """The open ticket of this problem fingerprint gets a system entry; else a new one opens.

    Returns (ticket, created). A resolved ticket of the fingerprint is reopened (the problem came
    back), so one fingerprint has one ticket per client.
    """
    actor = actor or Actor.system("servicedesk")
    ref = fingerprint[:200]
    existing: Ticket | None = (
        Ticket.objects.select_for_update()
        .select_related("status", "client")
        .filter(client=client, source=Ticket.Source.MONITORING, source_ref=ref)
        .first()
    )
    if existing is not None:
        _system_entry(existing, f"Problem firing again: {title}\n{summary}".strip())
        if existing.status.is_closed:
            _move(actor, existing, _first_in(client, Cat.OPEN), timezone.now())
            existing.save()
            hooks.changed(existing)
        audit.record(actor=actor, action="ticket.annotated", obj=existing, after={"problem": ref})
        return existing, False
    impact, urgency = _SEVERITY_LEVELS.get(severity, (3, 3))
    try:
        with transaction.atomic():
            t = open_ticket(
                actor=actor, client=client, subject=title[:300] or ref, body=summary,
                impact=impact, urgency=urgency, source=Ticket.Source.MONITORING, source_ref=ref,
            )  # fmt: skip
    except IntegrityError:  # a concurrent opener won: annotate theirs
        return open_or_annotate_from_problem(
            client=client, fingerprint=fingerprint, title=title, summary=summary,
            severity=severity, asset=asset, actor=actor,
        )  # fmt: skip
    if asset is not None and asset.client_id == client.pk:
        t.assets.add(asset)
    return t, True


@transaction.atomic
def resolve_from_problem(
    *, client: Client, fingerprint: str, note_text: str = "", actor: Actor | None = None
) -> Ticket | None:
    """The problem cleared: its open ticket resolves (None when it has no open ticket)."""
    actor = actor or Actor.system("servicedesk")
    t: Ticket | None = (
        Ticket.objects.select_for_update()
        .select_related("status", "client")
        .filter(client=client, source=Ticket.Source.MONITORING, source_ref=fingerprint[:200])
        .first()
    )
    if t is None or t.status.is_closed:
        return None
    _system_entry(t, note_text or "The problem resolved.")
    _move(actor, t, _first_in(client, Cat.RESOLVED), timezone.now())
    t.save()
    audit.record(
        actor=actor,
        action="ticket.resolved_by_problem",
        obj=t,
        after={"problem": fingerprint[:200]},
    )
    hooks.changed(t)
    return t
