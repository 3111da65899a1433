from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.knowledge import actions
from openmsp.knowledge.models import Article
from openmsp.tenants.models import Client


@pytest.fixture
def writer(db: None) -> User:
    return make_user("writer@msp.example", Role.TECHNICIAN, full_name="Wendy Writer")


@pytest.fixture
def write(writer: User) -> Any:
    def make(title: str, body: str = "Steps.", **kw: Any) -> Article:
        kw.setdefault("language", "en")
        kw.setdefault("status", "published")
        return actions.create_article(actor=Actor(user=writer), title=title, body=body, **kw)

    return make


@pytest.fixture
def library(write: Any, client_a: Client, client_b: Client) -> dict[str, Article]:
    """One article of every kind a client user must or must not see."""
    return {
        "public": write("Reset your password", "Use the self-service page."),
        "public_ko": write("프린터가 인쇄되지 않을 때", "프린터의 전원을 껐다 켜세요.", language="ko"),
        "own": write("Hanbit VPN profile", "Import hanbit.ovpn.", visibility="client", client=client_a),
        "other": write("Saebom VPN profile", "Import saebom.ovpn.", visibility="client", client=client_b),
        "internal": write("Hanbit firewall admin password rotation", "Vault path x.", visibility="internal"),
        "draft": write("Reset your VPN token", "Not yet.", status="draft"),
    }  # fmt: skip
