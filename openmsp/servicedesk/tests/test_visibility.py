from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.servicedesk import actions
from openmsp.servicedesk.queries import entries_of, get_ticket, tickets_visible_to
from openmsp.tenants.models import Client


def ids(user: User) -> set[int]:
    return set(tickets_visible_to(Actor(user=user)).values_list("pk", flat=True))


def test_each_persona_sees_exactly_their_tickets(
    alice: User, bob: User, charlie: User, tech_a: User, tech_b: User, msp_owner: User,
    client_a: Client, client_b: Client, open_as: Any,
) -> None:  # fmt: skip
    carol = make_user("carol@hanbit.example", Role.CLIENT_USER, client_a)
    mine = open_as(bob, client_a, "Bob's")
    hers = open_as(carol, client_a, "Carol's")
    watched = open_as(carol, client_a, "Carol's, Bob watches")
    actions.update_ticket(actor=Actor(user=tech_a), ticket=watched, changes={"watchers": [bob]})
    theirs = open_as(charlie, client_b)
    assert ids(bob) == {mine.pk, watched.pk}
    assert ids(alice) == {mine.pk, hers.pk, watched.pk}
    assert ids(tech_a) == {mine.pk, hers.pk, watched.pk}
    assert ids(tech_b) == ids(charlie) == {theirs.pk}
    assert ids(msp_owner) == {mine.pk, hers.pk, watched.pk, theirs.pk}
    with pytest.raises(NotFound):
        get_ticket(Actor(user=bob), hers.pk)


def test_internal_notes_are_hidden_from_the_client(
    bob: User, alice: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    actions.note(actor=Actor(user=tech_a), ticket=t, body="Customer is on an old driver")
    assert entries_of(Actor(user=tech_a), t).filter(kind="note").count() == 1
    assert not entries_of(Actor(user=alice), t).filter(kind="note").exists()
