"""Where the SLA clocks plug in: called by the actions after every change that can move a clock,
inside the action's transaction. Kept as one function so actions never import the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openmsp.servicedesk.models import Ticket


def opened(ticket: Ticket) -> None:
    """Page the on-call person for a P1 (openmsp.oncall.paging), in the same transaction."""
    from openmsp.oncall import paging

    paging.page_for_ticket(ticket)


def changed(ticket: Ticket) -> None:
    """Recompute the ticket's SLA clocks and due columns from its history."""
    from openmsp.servicedesk import clocks

    clocks.recompute(ticket)
