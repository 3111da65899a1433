from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.notifications.tests.conftest import smtp_peer  # noqa: F401  (the real SMTP peer)


@pytest.fixture
def kim(db: None) -> User:
    return make_user("kim@msp.example", Role.TECHNICIAN, full_name="Kim Tech", all_clients=True)


@pytest.fixture
def lee(db: None) -> User:
    return make_user("lee@msp.example", Role.TECHNICIAN, full_name="Lee Tech", all_clients=True)


@pytest.fixture
def park(db: None) -> User:
    return make_user("park@msp.example", Role.TECHNICIAN, full_name="Park Tech", all_clients=True)


def weekly(
    *members: User, start: str = "2026-03-02T09:00:00+09:00", **extra: Any
) -> dict[str, Any]:
    return {"kind": "weekly", "start": start, "member_ids": [m.pk for m in members], **extra}


def make_schedule(*members: User, name: str = "NOC", **extra: Any) -> Any:
    """Weekly rotation of *members*, handing off Mondays 09:00 KST from 2026-11-30."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from openmsp.core.actor import Actor
    from openmsp.oncall import actions

    start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    return actions.create_schedule(
        actor=Actor.system("test"),
        name=name,
        layers=[{"kind": "weekly", "start": start, "members": list(members)}],
        **extra,
    )
