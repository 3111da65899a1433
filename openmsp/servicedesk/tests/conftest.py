from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.servicedesk import actions
from openmsp.servicedesk.models import Ticket
from openmsp.tenants.models import Client


@pytest.fixture
def tech_a(client_a: Client) -> User:
    return make_user(
        "tech-a@msp.example",
        Role.TECHNICIAN,
        all_clients=False,
        assigned_clients=[client_a],
        full_name="Tina Tech",
    )


@pytest.fixture
def open_as() -> Any:
    def make(user: User, client: Client, subject: str = "Printer jams", **kw: Any) -> Ticket:
        return actions.open_ticket(
            actor=Actor(user=user),
            client=client,
            subject=subject,
            body=kw.pop("body", "It jams."),
            **kw,
        )

    return make
