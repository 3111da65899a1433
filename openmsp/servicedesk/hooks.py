"""Where the SLA clocks plug in: called by the actions after every change that can move a clock,
inside the action's transaction. Kept as one function so actions never import the engine.

`page_oncall` is the seam of the escalation ladder's "page on-call" action. The on-call app has
no schedules to page yet (docs/oncall.md); when it does, it registers its pager here with
`register_oncall_pager`. Until then the step is recorded as not paged, never faked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openmsp.servicedesk.models import SlaStep, Ticket

OncallPager = Callable[["Ticket", str, "SlaStep"], str]
_pager: OncallPager | None = None


def opened(ticket: Ticket) -> None:
    """Page the on-call person for a P1 (openmsp.oncall.paging), in the same transaction."""
    from openmsp.oncall import paging

    paging.page_for_ticket(ticket)


def changed(ticket: Ticket) -> None:
    """Recompute the ticket's SLA clocks and due columns from its history."""
    from openmsp.servicedesk import clocks

    clocks.recompute(ticket)


def register_oncall_pager(pager: OncallPager | None) -> None:
    """The on-call app calls this with a function (ticket, clock, step) -> what it did."""
    global _pager
    _pager = pager


def page_oncall(ticket: Ticket, clock: str, step: SlaStep) -> str:
    if _pager is None:
        return "not paged: no on-call pager is registered (openmsp.servicedesk.hooks)"
    return _pager(ticket, clock, step)
