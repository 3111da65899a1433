"""The long poll: an agent waiting on GET /agent/v1/commands?wait=N gets a command queued while it
waits within about a second, through the async view and the per-process waiter hub.

These tests commit (transaction=True): the hub checks the database from its own thread, as it
does in production, so it must see what the test wrote.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from openmsp.agent_api import actions
from openmsp.agent_api.longpoll import hub
from openmsp.agent_api.models import CommandRun
from openmsp.agent_api.tests.agents import SYSTEM, SignedAgent, enroll_new
from openmsp.tenants import actions as tenant_actions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting_agent(db) -> SignedAgent:
    client = tenant_actions.create_client(actor=SYSTEM, name="Dasan Retail", code="dasan")
    return enroll_new(client, machine_id="dasan-pos-01")


def _queue(agent_id: str) -> None:
    """Queue a command from another thread, like a technician's request in another process."""
    from openmsp.agent_api.models import Agent

    try:
        asset = Agent.objects.select_related("asset").get(pk=agent_id).asset
        actions.run_command(actor=SYSTEM, assets=[asset], script="hostname")
    finally:
        connection.close()


def test_a_command_queued_while_the_agent_waits_is_answered_at_once(
    waiting_agent: SignedAgent,
) -> None:
    async def scenario() -> tuple[int, list[Any], float]:
        poll = asyncio.create_task(waiting_agent.poll(wait=20))
        while waiting_agent.agent_id not in {str(a) for a in hub().waiting}:
            await asyncio.sleep(0.01)  # until the view registered as a waiter
        started = time.monotonic()
        await asyncio.to_thread(_queue, waiting_agent.agent_id)
        response = await poll
        return response.status_code, response.json()["commands"], time.monotonic() - started

    status, commands, waited = async_to_sync(scenario)()
    assert status == 200
    assert [c["script"] for c in commands] == ["hostname"]
    assert waited < 5, "the hub checks once a second; the poll must not run to its 20 s limit"
    assert CommandRun.objects.get(pk=commands[0]["id"]).status == "delivered"


def test_queued_commands_are_answered_without_waiting(waiting_agent: SignedAgent) -> None:
    actions.run_command(actor=SYSTEM, assets=[waiting_agent.agent.asset], script="uptime")

    async def scenario() -> tuple[list[Any], float]:
        started = time.monotonic()
        response = await waiting_agent.poll(wait=25)
        return response.json()["commands"], time.monotonic() - started

    commands, took = async_to_sync(scenario)()
    assert [c["script"] for c in commands] == ["uptime"]
    assert took < 2


def test_a_poll_with_nothing_queued_ends_empty_after_its_wait(waiting_agent: SignedAgent) -> None:
    async def scenario() -> tuple[int, dict[str, Any]]:
        response = await waiting_agent.poll(wait=1)
        return response.status_code, response.json()

    assert async_to_sync(scenario)() == (200, {"commands": []})


def test_the_long_poll_refuses_bad_credentials_and_bad_waits(waiting_agent: SignedAgent) -> None:
    from django.test import AsyncClient

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        path = "/agent/v1/commands"
        anonymous = await AsyncClient().get(path, {"wait": "1"})
        too_long = await AsyncClient().get(
            path, {"wait": "600"}, headers=waiting_agent.get_headers(path)
        )
        return [(anonymous.status_code, anonymous.json()), (too_long.status_code, too_long.json())]

    (anon_status, anon), (long_status, long_body) = async_to_sync(scenario)()
    assert anon_status == 401
    assert "Authorization" in anon["detail"]
    assert long_status == 422
    assert long_body["field"] == "wait"


def test_a_revoked_agent_gets_agent_revoked_from_the_long_poll(waiting_agent: SignedAgent) -> None:
    actions.revoke_agent(actor=SYSTEM, agent=waiting_agent.agent)

    async def scenario() -> tuple[int, dict[str, Any]]:
        response = await waiting_agent.poll(wait=1)
        return response.status_code, response.json()

    assert async_to_sync(scenario)() == (401, {"detail": "agent revoked"})
