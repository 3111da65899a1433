"""Where the SLA integration plugs in: called after every change that can move a clock.

The SLA engine (openmsp.servicedesk.sla) recomputes the due columns from the ticket's events; until
it is wired, this does nothing. Kept as one function so actions never import the engine directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openmsp.servicedesk.models import Ticket


def changed(ticket: Ticket) -> None:
    """Recompute the ticket's SLA deadlines (wired by the SLA integration)."""
    return None
