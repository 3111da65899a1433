"""Schemathesis over /api/v1/openapi.json, in-process: no operation answers 5xx, whoever asks.

Every operation gets schema-valid (positive) and schema-breaking (negative) requests, as an MSP
owner, as a client admin and as a client user. Path ids are pinned to real objects so the fuzzed
bodies and queries reach the actions instead of stopping at a 404. Hypothesis is derandomized, so a
failure reproduces; the run is bounded (about a minute on two cores).
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from openmsp.accounts import actions as account_actions
from openmsp.accounts.models import ApiToken, User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client
from openmsp.wsgi import application

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
SYSTEM = Actor.system("fuzz")

# Per operation and persona, after the documented examples (derandomized, so every run sends the
# same requests). With ~150 operations and three personas this is ~4,500 requests per engine, about
# two minutes; 15/10 took six, a fifth of the whole suite, for little more coverage.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}


@pytest.fixture
def pinned_ids(client_a: Client) -> dict[str, int]:
    """One object of every kind, all of client A, for the path parameters."""
    calendar = client_a.businesscalendar_set.get()
    site = tenant_actions.create_site(actor=SYSTEM, client=client_a, name="Busan hub")
    contact = tenant_actions.create_contact(actor=SYSTEM, client=client_a, name="Kim", site=site)
    contract = tenant_actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA", start_date=dt.date(2026, 1, 1), calendar=calendar
    )
    day = tenant_actions.add_special_day(
        actor=SYSTEM, calendar=calendar, date=dt.date(2026, 4, 1), name="Founding day"
    )
    decoy = account_actions.invite_user(
        actor=SYSTEM, email="decoy@hanbit.example", role=Role.CLIENT_USER, client=client_a
    )
    token, _secret = account_actions.create_token(actor=Actor(user=decoy), user=decoy, name="x")
    notifications = _notification_objects(client_a)
    from openmsp.servicedesk import actions as desk_actions

    ticket = desk_actions.open_ticket(
        actor=Actor(user=decoy), client=client_a, subject="VPN down", body="Since 9"
    )
    return {
        "ticket_id": ticket.pk,
        **notifications,
        "client_id": client_a.pk,
        "site_id": site.pk,
        "contact_id": contact.pk,
        "contract_id": contract.pk,
        "calendar_id": calendar.pk,
        "special_day_id": day.pk,
        "user_id": decoy.pk,
        "token_id": token.pk,
    }


def _notification_objects(client_a: Client) -> dict[str, int]:
    from openmsp.notifications import actions as notify

    channel = notify.create_channel(
        actor=SYSTEM,
        client=client_a,
        name="NOC",
        kind="email",
        config={"recipients": ["noc@hanbit.example"]},
    )
    route = notify.create_route(actor=SYSTEM, client=client_a, name="All", channels=[channel])
    message = notify.send_test(actor=SYSTEM, channel=channel)
    return {
        "notification_channel_id": channel.pk,
        "notification_route_id": route.pk,
        "notification_message_id": message.pk,
    }


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Django closes the database connection after each request; inside the test's transaction
    that would end the test. Its own test client stops that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    """Tracebacks of unhandled exceptions: the 500's cause, not just its status."""
    seen: list[str] = []

    def note(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc())

    got_request_exception.connect(note)
    yield seen
    got_request_exception.disconnect(note)


def _bearer(user: User) -> Callable[[], dict[str, str]]:
    """Headers with a usable token of *user*: a fuzzed request may revoke the one in use."""
    current: dict[str, Any] = {}

    def headers() -> dict[str, str]:
        token = current.get("token")
        if token is None or not ApiToken.objects.get(pk=token.pk).is_usable():
            token, secret = account_actions.create_token(
                actor=Actor(user=user), user=user, name="fuzz"
            )
            current.update(token=token, secret=secret)
        return {"Authorization": f"Bearer {current['secret']}"}

    return headers


def _operations(schema: Any) -> list[Any]:
    """Every operation, deletions last (in an order that keeps the pinned objects alive longest),
    so the other operations work on existing objects."""
    operations = [result.ok() for result in schema.get_all_operations()]
    delete_order = ["special-days", "tokens", "contacts", "sites", "contracts", "calendars"]

    def rank(operation: Any) -> tuple[int, int]:
        if operation.method.upper() != "DELETE":
            return (0, 0)
        position = next(
            (i for i, word in enumerate(delete_order) if f"/{word}/" in operation.path),
            len(delete_order),
        )
        return (1, position)

    return sorted(operations, key=rank)


def _run(strategy: Any, examples: int, call: Callable[[schemathesis.Case], None]) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        call(case)

    check()


def _fuzz(
    headers: Callable[[], dict[str, str]], ids: dict[str, int], server_errors: list[str]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    failures: list[str] = []
    for operation in _operations(schema):
        pinned = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}

        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers())
            case.validate_response(response, checks=[not_a_server_error])

        # The documented examples first (they pass validation and reach the actions), then
        # generated requests that fit the schema, then requests that break it.
        runs = [
            ("examples", strategy, 1)
            for strategy in operation.get_strategies_from_examples(path_parameters=pinned)
        ]
        runs += [
            (str(mode), operation.as_strategy(generation_mode=mode, path_parameters=pinned), count)
            for mode, count in EXAMPLES.items()
        ]
        for label, strategy, count in runs:
            try:
                _run(strategy, count, call)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
                cause = server_errors[-1] if server_errors else ""
                failures.append(f"{operation.label} ({label}): {exc}\n{cause}")
    assert not failures, "\n\n".join(failures)


def test_no_operation_answers_a_server_error_to_an_msp_owner(
    msp_owner: User, pinned_ids: dict[str, int], server_errors: list[str]
) -> None:
    _fuzz(_bearer(msp_owner), pinned_ids, server_errors)


def test_no_operation_answers_a_server_error_to_a_client_admin(
    alice: User, pinned_ids: dict[str, int], server_errors: list[str]
) -> None:
    _fuzz(_bearer(alice), pinned_ids, server_errors)


def test_no_operation_answers_a_server_error_to_a_client_user(
    bob: User, pinned_ids: dict[str, int], server_errors: list[str]
) -> None:
    _fuzz(_bearer(bob), pinned_ids, server_errors)
