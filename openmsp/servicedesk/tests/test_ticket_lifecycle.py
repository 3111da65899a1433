from __future__ import annotations

from typing import Any

import pytest

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.core.models import AuditRecord
from openmsp.servicedesk import actions
from openmsp.servicedesk.models import Ticket, TicketEntry, TicketLink
from openmsp.servicedesk.priority import priority_of
from openmsp.tenants.models import Client


def kinds(t: Ticket) -> list[str]:
    return list(t.events.order_by("at", "pk").values_list("kind", flat=True))


def test_the_matrix_maps_impact_and_urgency_to_a_priority() -> None:
    assert priority_of(1, 1) == "P1"
    assert priority_of(1, 3) == priority_of(2, 2) == priority_of(3, 1) == "P3"
    assert priority_of(3, 3) == "P4"
    with pytest.raises(ValueError, match="must be 1, 2 or 3"):
        priority_of(0, 4)


def test_a_client_user_opens_a_portal_ticket_for_themselves(
    bob: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a, impact=2, urgency=1)
    assert t.number == f"T{t.pk:06d}"
    assert t.source == "portal"
    assert t.requester_user == bob
    assert t.priority == "P2"
    assert t.status.code == "new"
    assert kinds(t) == ["created"]
    assert t.entries.get().from_customer
    assert bob in t.watchers.all()
    assert AuditRecord.objects.filter(action="ticket.created", object_id=str(t.pk)).exists()


def test_staff_reply_opens_the_ticket_and_customer_reply_reopens_it(
    bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    actions.reply(actor=Actor(user=tech_a), ticket=t, body="Try the other tray.")
    t.refresh_from_db()
    assert t.status.code == "open"
    actions.change_status(actor=Actor(user=tech_a), ticket=t, status="resolved")
    t.refresh_from_db()
    assert t.resolved_at is not None
    actions.reply(actor=Actor(user=bob), ticket=t, body="Still jams.")
    t.refresh_from_db()
    assert t.status.code == "open"
    assert t.resolved_at is None
    assert kinds(t) == [
        "created", "public_reply_by_staff", "status_changed", "status_changed", "resolved",
        "customer_message", "status_changed", "reopened",
    ]  # fmt: skip
    moved = t.events.filter(kind="status_changed").first()
    assert moved is not None
    assert moved.data["from"] == "new"
    assert moved.data["to"] == "open"


def test_a_client_user_may_not_write_notes_or_change_the_status(
    bob: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    with pytest.raises(PermissionDenied):
        actions.note(actor=Actor(user=bob), ticket=t, body="x")
    with pytest.raises(PermissionDenied):
        actions.change_status(actor=Actor(user=bob), ticket=t, status="closed")


def test_priority_changes_are_events_and_the_assignee_must_work_for_the_client(
    bob: User, tech_a: User, tech_b: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    actions.change_priority(actor=Actor(user=tech_a), ticket=t, impact=1, urgency=1)
    t.refresh_from_db()
    assert t.priority == "P1"
    ev = t.events.get(kind="priority_changed")
    assert ev.data == {"from": "P4", "to": "P1"}
    with pytest.raises(ValidationFailed) as err:
        actions.assign(actor=Actor(user=tech_a), ticket=t, assignee=tech_b)
    assert err.value.field == "assignee"
    actions.assign(actor=Actor(user=tech_a), ticket=t, assignee=tech_a)
    t.refresh_from_db()
    assert t.assignee == tech_a


def test_merge_moves_the_conversation_and_closes_the_source(
    bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    a, b = open_as(bob, client_a, "One"), open_as(bob, client_a, "Two", body="Same thing")
    actions.merge(actor=Actor(user=tech_a), source=b, target=a)
    b.refresh_from_db()
    assert b.status.code == "closed"
    assert b.merged_into == a
    assert not b.entries.exists()
    assert a.entries.filter(body="Same thing").exists()
    assert TicketLink.objects.filter(source=b, target=a, kind="duplicate").exists()


def test_merge_refuses_tickets_of_different_clients(
    bob: User, charlie: User, tech_a: User, client_a: Client, client_b: Client, open_as: Any
) -> None:
    a, c = open_as(bob, client_a), open_as(charlie, client_b)
    with pytest.raises(ValidationFailed):
        actions.merge(actor=Actor.system(), source=c, target=a)


def test_split_moves_chosen_entries_to_a_new_linked_ticket(
    bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    extra = actions.reply(actor=Actor(user=bob), ticket=t, body="Also the scanner is broken")
    new = actions.split(actor=Actor(user=tech_a), ticket=t, entry_ids=[extra.pk], subject="Scanner")
    assert list(new.entries.filter(kind="reply").values_list("body", flat=True)) == [extra.body]
    assert TicketLink.objects.filter(source=new, target=t, kind="related").exists()
    assert t.entries.filter(kind=TicketEntry.Kind.SYSTEM).exists()


def test_bulk_update_changes_all_or_none(
    bob: User, tech_a: User, tech_b: User, client_a: Client, open_as: Any
) -> None:
    ts = [open_as(bob, client_a, f"T{i}") for i in range(3)]
    assert (
        actions.bulk_update(actor=Actor(user=tech_a), tickets=ts, status="open", priority="P2") == 3
    )
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"P2"}
    with pytest.raises(ValidationFailed):
        actions.bulk_update(actor=Actor(user=tech_a), tickets=ts, status="closed", assignee=tech_b)
    assert set(Ticket.objects.values_list("status__code", flat=True)) == {"open"}


def test_a_problem_opens_one_ticket_per_fingerprint_and_its_resolution_resolves_it(
    client_a: Client,
) -> None:
    t, created = actions.open_or_annotate_from_problem(
        client=client_a, fingerprint="check:7", title="Disk full on db1", severity="critical"
    )
    assert created
    assert t.source == "monitoring"
    assert t.priority == "P1"
    again, created = actions.open_or_annotate_from_problem(
        client=client_a, fingerprint="check:7", title="Disk full on db1"
    )
    assert again.pk == t.pk
    assert not created
    assert actions.resolve_from_problem(client=client_a, fingerprint="check:7") is not None
    t.refresh_from_db()
    assert t.status.category == "resolved"
    back, created = actions.open_or_annotate_from_problem(
        client=client_a, fingerprint="check:7", title="Disk full on db1"
    )
    back.refresh_from_db()
    assert back.pk == t.pk
    assert back.status.category == "open"
    assert "reopened" in kinds(back)
