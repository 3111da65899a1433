"""The read helpers the fleet UI builds on: scoped like every tenant read."""

from __future__ import annotations

import pytest

from openmsp.agent_api.tests.agents import SignedAgent
from openmsp.assets import actions, queries
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound

pytestmark = pytest.mark.django_db


def test_status_counts_cover_only_what_the_actor_sees(
    agent_a: SignedAgent, client_b, system_actor, alice, charlie
) -> None:
    agent_a.batch()
    actions.create_asset(actor=system_actor, client=client_b, name="NAS")
    assert queries.status_counts(Actor(user=alice)) == {"online": 1, "offline": 0, "unknown": 0}
    assert queries.status_counts(Actor(user=charlie)) == {"online": 0, "offline": 0, "unknown": 1}


def test_tags_in_use_are_the_visible_clients_tags(client_a, client_b, system_actor, alice) -> None:
    actions.create_asset(actor=system_actor, client=client_a, name="sw", tags=["core", "floor-3"])
    actions.create_asset(actor=system_actor, client=client_a, name="fw", tags=["core"])
    actions.create_asset(actor=system_actor, client=client_b, name="nas", tags=["secret-b"])
    assert queries.tags_in_use(Actor(user=alice)) == ["core", "floor-3"]


def test_get_asset_is_not_found_for_outsiders_and_for_nonsense_ids(
    client_a, system_actor, charlie
) -> None:
    asset = actions.create_asset(actor=system_actor, client=client_a, name="sw")
    with pytest.raises(NotFound):
        queries.get_asset(Actor(user=charlie), asset.pk)
    with pytest.raises(NotFound):
        queries.get_asset(system_actor, "not-a-number")
    with pytest.raises(NotFound):
        queries.get_asset(system_actor, 2**70)
