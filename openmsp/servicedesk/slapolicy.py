"""Which SLA policy a ticket falls under: pure first-match selection, no ORM.

Policies are tried in order; a policy matches when every condition it sets holds (an unset
condition matches anything), and the first match wins. `select` also says why: the conditions
that were set and the ticket's values that satisfied them, which the ticket page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K")


@dataclass(frozen=True)
class Facts:
    """What a ticket offers to the conditions (labels are for the explanation only)."""

    client_id: int
    contract_id: int | None
    priority: str
    category_id: int | None
    ticket_type: str
    criticalities: frozenset[str] = frozenset()  # of the linked assets
    client_label: str = ""
    contract_label: str = ""
    category_label: str = ""


@dataclass(frozen=True)
class Conditions:
    client_id: int | None = None
    contract_id: int | None = None
    priorities: frozenset[str] = frozenset()
    category_id: int | None = None
    ticket_types: frozenset[str] = frozenset()
    criticalities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate(Generic[K]):
    key: K
    conditions: Conditions = field(default_factory=Conditions)


def matched(c: Conditions, f: Facts) -> dict[str, str] | None:
    """The set conditions and the values that met them, or None when one fails."""
    why: dict[str, str] = {}
    if c.client_id is not None:
        if c.client_id != f.client_id:
            return None
        why["client"] = f.client_label or str(f.client_id)
    if c.contract_id is not None:
        if c.contract_id != f.contract_id:
            return None
        why["contract"] = f.contract_label or str(f.contract_id)
    if c.priorities:
        if f.priority not in c.priorities:
            return None
        why["priority"] = f.priority
    if c.category_id is not None:
        if c.category_id != f.category_id:
            return None
        why["category"] = f.category_label or str(f.category_id)
    if c.ticket_types:
        if f.ticket_type not in c.ticket_types:
            return None
        why["type"] = f.ticket_type
    if c.criticalities:
        hit = sorted(c.criticalities & f.criticalities)
        if not hit:
            return None
        why["asset_criticality"] = ", ".join(hit)
    return why


def select(candidates: Sequence[Candidate[K]], facts: Facts) -> tuple[K, dict[str, str]] | None:
    """The first candidate (in the given order) whose conditions hold, with why."""
    for candidate in candidates:
        why = matched(candidate.conditions, facts)
        if why is not None:
            return candidate.key, why
    return None
