from __future__ import annotations

import pytest

from openmsp.agent_api.tests.agents import SignedAgent, enroll_new
from openmsp.tenants.models import Client


@pytest.fixture
def agent_a(client_a: Client) -> SignedAgent:
    """An enrolled agent on a host of client A."""
    return enroll_new(client_a, machine_id="a-web-01", hostname="a-web-01")


@pytest.fixture
def agent_b(client_b: Client) -> SignedAgent:
    return enroll_new(client_b, machine_id="b-db-01", hostname="b-db-01")
