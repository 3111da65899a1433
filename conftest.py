"""Shared test fixtures: the personas every access test is told with.

- msp_owner: runs the MSP, sees everything.
- client_a / client_b: two tenants.
- alice: client admin of A (the owner of A's data); bob: her teammate, a client user of A.
- charlie: client admin of B, an outsider to A who must get 404 for every object of A.
- tech_b: a technician assigned to B only, also an outsider to A.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient

from openmsp.accounts import actions as account_actions
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client

PASSWORD = "correct-horse-battery-42"
SYSTEM = Actor.system("test")


@pytest.fixture(scope="session", autouse=True)
def _close_stray_test_database_sessions(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """Live-server tests (browser) leave request threads' PostgreSQL sessions behind, and the test
    database cannot be dropped while any is open: end them once every test has run."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def smtp(settings: Any) -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (openmsp.notifications.tests.peers.SmtpPeer), with the
    installation's mail settings pointed at it: plain SMTP, no login."""
    from openmsp.notifications.tests.peers import SmtpPeer

    with SmtpPeer() as peer:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", peer.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.DEFAULT_FROM_EMAIL = "OpenMSP <noc@msp.example>"
        yield peer


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 is slow on purpose; tests that are not about hashing use a fast hasher.

    openmsp/accounts/tests/test_password_hashing.py checks the production configuration.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _loopback_reachable(settings: Any) -> None:
    """The suite's peers (HTTP, SMTP, webhook receivers) listen on 127.0.0.1: allow loopback for
    every outbound request, as an operator would with OPENMSP_OUTBOUND_ALLOWED_NETWORKS.

    openmsp/core/tests/test_outbound_guard.py clears it to prove the rule itself.
    """
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def system_actor() -> Actor:
    return SYSTEM


def make_user(email: str, role: str, client: Client | None = None, **extra: Any) -> User:
    return account_actions.invite_user(
        actor=SYSTEM, email=email, role=role, client=client, password=PASSWORD, **extra
    )


@pytest.fixture
def client_a(db: None) -> Client:
    return tenant_actions.create_client(actor=SYSTEM, name="Hanbit Logistics", code="hanbit")


@pytest.fixture
def client_b(db: None) -> Client:
    return tenant_actions.create_client(actor=SYSTEM, name="Saebom Pharma", code="saebom")


@pytest.fixture
def msp_owner(db: None) -> User:
    return make_user("owner@msp.example", Role.MSP_OWNER, full_name="Olivia Owner")


@pytest.fixture
def msp_admin(db: None) -> User:
    return make_user("admin@msp.example", Role.MSP_ADMIN, full_name="Adam Admin")


@pytest.fixture
def auditor(db: None) -> User:
    return make_user("auditor@msp.example", Role.AUDITOR, full_name="Audrey Auditor")


@pytest.fixture
def alice(client_a: Client) -> User:
    return make_user("alice@hanbit.example", Role.CLIENT_ADMIN, client_a, full_name="Alice")


@pytest.fixture
def bob(client_a: Client) -> User:
    return make_user("bob@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob")


@pytest.fixture
def charlie(client_b: Client) -> User:
    return make_user("charlie@saebom.example", Role.CLIENT_ADMIN, client_b, full_name="Charlie")


@pytest.fixture
def tech_b(client_b: Client) -> User:
    return make_user(
        "tech-b@msp.example",
        Role.TECHNICIAN,
        all_clients=False,
        assigned_clients=[client_b],
        full_name="Terry Tech",
    )


@pytest.fixture
def api_as(db: None) -> Callable[..., HttpClient]:
    """`api_as(user)` returns an HTTP client that sends a fresh bearer token of *user*."""

    def make(user: User, *, read_only: bool = False) -> HttpClient:
        _token, secret = account_actions.create_token(
            actor=Actor(user=user), user=user, name="test", read_only=read_only
        )
        return HttpClient(headers={"Authorization": f"Bearer {secret}"})

    return make


@pytest.fixture
def web_as(db: None) -> Callable[[User], HttpClient]:
    """`web_as(user)` returns a browser-like client with a signed-in session."""

    def make(user: User) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    return make
