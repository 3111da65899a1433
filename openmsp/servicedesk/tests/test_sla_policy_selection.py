"""First-match SLA policy selection (openmsp.servicedesk.slapolicy): a table of tickets against
one ordered list of policies, each row saying which policy wins and why."""

from __future__ import annotations

import pytest

from openmsp.servicedesk.slapolicy import Candidate, Conditions, Facts, select

POLICIES = [
    Candidate("vip-db", Conditions(client_id=1, criticalities=frozenset({"critical"}))),
    Candidate("p1-anyone", Conditions(priorities=frozenset({"P1"}))),
    Candidate("network-incident", Conditions(category_id=7, ticket_types=frozenset({"incident"}))),
    Candidate("contract-9", Conditions(contract_id=9)),
    Candidate("client-2", Conditions(client_id=2)),
]


def facts(**kw: object) -> Facts:
    base: dict[str, object] = {
        "client_id": 3, "contract_id": None, "priority": "P4", "category_id": None,
        "ticket_type": "service_request", "criticalities": frozenset(),
    }  # fmt: skip
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


TABLE = [
    # (ticket facts, winning policy, the matched conditions)
    (facts(client_id=1, criticalities=frozenset({"critical", "low"}), priority="P1"),
     "vip-db", {"client": "1", "asset_criticality": "critical"}),
    (facts(client_id=1, criticalities=frozenset({"high"}), priority="P1"),
     "p1-anyone", {"priority": "P1"}),
    (facts(client_id=2, priority="P1"), "p1-anyone", {"priority": "P1"}),
    (facts(category_id=7, ticket_type="incident"),
     "network-incident", {"category": "7", "type": "incident"}),
    (facts(category_id=7, ticket_type="change", contract_id=9), "contract-9", {"contract": "9"}),
    (facts(client_id=2, category_id=7), "client-2", {"client": "2"}),
    (facts(client_id=2, contract_label="x", contract_id=9), "contract-9", {"contract": "x"}),
    (facts(), None, None),
]  # fmt: skip


@pytest.mark.parametrize(("ticket", "winner", "why"), TABLE)
def test_the_first_policy_whose_every_set_condition_holds_wins(
    ticket: Facts, winner: str | None, why: dict[str, str] | None
) -> None:
    chosen = select(POLICIES, ticket)
    if winner is None:
        assert chosen is None
    else:
        assert chosen == (winner, why)


def test_a_policy_without_conditions_matches_every_ticket() -> None:
    assert select([Candidate("all")], facts()) == ("all", {})


def test_order_decides_between_two_matching_policies() -> None:
    a = Candidate("a", Conditions(priorities=frozenset({"P4"})))
    b = Candidate("b", Conditions(client_id=3))
    assert select([a, b], facts())[0] == "a"  # type: ignore[index]
    assert select([b, a], facts())[0] == "b"  # type: ignore[index]
