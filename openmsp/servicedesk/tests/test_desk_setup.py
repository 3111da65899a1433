"""The desk's set-up editors: an MSP admin adds a status that pauses resolution and open tickets
in it stop their resolution clock; teams and categories are added and renamed; technicians and
client users cannot change them."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.servicedesk import actions, policy_actions
from openmsp.servicedesk.models import Category, Team, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def test_a_new_status_pauses_the_clocks_it_names(
    msp_admin: Any, client_a: Any, tech_a: Any, open_as: Any, web_as: Any
) -> None:
    policy_actions.save_policy(
        actor=Actor.system("t"), name="All",
        clocks_spec={"resolution": {"target_minutes": 600, "calendar": "24x7"}},
    )  # fmt: skip
    web = web_as(msp_admin)
    created = web.post(
        "/tickets/setup/statuses/",
        {"name": "Waiting on vendor", "category": "pending", "pauses": ["resolution"]},
    )
    assert created.status_code == 302
    status = TicketStatus.objects.get(code="waiting_on_vendor")
    assert status.pauses == ["resolution"]
    t = open_as(tech_a, client_a)
    actions.change_status(actor=Actor(user=tech_a), ticket=t, status="waiting_on_vendor")
    assert Ticket.objects.get(pk=t.pk).sla_state["resolution"]["state"] == "paused"
    edited = web.post(
        f"/tickets/setup/statuses/{status.pk}/", {"name": "Vendor", "category": "pending"}
    )
    assert edited.status_code == 302
    assert Ticket.objects.get(pk=t.pk).sla_state["resolution"]["state"] == "running"
    bad = web.post("/tickets/setup/statuses/", {"name": "X", "category": "limbo"})
    assert bad.status_code == 422


def test_teams_and_categories_are_added_and_renamed(
    msp_admin: Any, client_a: Any, tech_a: Any, web_as: Any
) -> None:
    web = web_as(msp_admin)
    assert web.post(
        "/tickets/setup/teams/",
        {"client": client_a.pk, "name": "Network", "members": [tech_a.pk]},
    ).status_code == 302  # fmt: skip
    team = Team.objects.get(name="Network")
    assert list(team.members.all()) == [tech_a]
    assert web.post(f"/tickets/setup/teams/{team.pk}/", {"name": "Net"}).status_code == 302
    assert Team.objects.get(pk=team.pk).name == "Net"
    assert web.post(
        "/tickets/setup/categories/", {"client": client_a.pk, "name": "Printers"}
    ).status_code == 302  # fmt: skip
    dup = web.post("/tickets/setup/categories/", {"client": client_a.pk, "name": "Printers"})
    assert dup.status_code == 422
    assert Category.objects.filter(client=client_a).count() == 1


def test_technicians_and_client_users_cannot_change_the_set_up(
    tech_a: Any, alice: Any, bob: Any, client_a: Any, web_as: Any
) -> None:
    tech = web_as(tech_a)
    assert tech.get("/tickets/setup/teams/").status_code == 200
    assert (
        tech.post("/tickets/setup/teams/", {"client": client_a.pk, "name": "X"}).status_code == 403
    )
    for who in (alice, bob):
        assert web_as(who).get("/tickets/setup/statuses/").status_code == 404
    assert not Team.objects.exists()
