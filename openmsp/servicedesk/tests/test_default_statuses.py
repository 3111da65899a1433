"""The default statuses come back when a database has none (emptied after migrating: the test
flush between live-server tests did exactly that, and the portal could no longer open tickets)."""

from __future__ import annotations

import pytest

from openmsp.servicedesk.models import TicketStatus

pytestmark = pytest.mark.django_db


def test_a_ticket_opens_after_every_status_was_deleted(bob, client_a, open_as):
    TicketStatus.objects.all().delete()
    ticket = open_as(bob, client_a)
    assert ticket.status.code == "new"
    assert TicketStatus.objects.filter(client__isnull=True).count() == 7


def test_existing_statuses_are_left_alone(bob, client_a, open_as):
    TicketStatus.objects.filter(code="scheduled").delete()
    open_as(bob, client_a)
    assert not TicketStatus.objects.filter(code="scheduled").exists()
