from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role


@pytest.fixture
def kim(db: None) -> User:
    return make_user("kim@msp.example", Role.TECHNICIAN, full_name="Kim Tech", all_clients=True)


@pytest.fixture
def lee(db: None) -> User:
    return make_user("lee@msp.example", Role.TECHNICIAN, full_name="Lee Tech", all_clients=True)


@pytest.fixture
def park(db: None) -> User:
    return make_user("park@msp.example", Role.TECHNICIAN, full_name="Park Tech", all_clients=True)


def weekly(*members: User, start: str = "2026-03-02T09:00:00+09:00", **extra: Any) -> dict[str, Any]:
    return {"kind": "weekly", "start": start, "member_ids": [m.pk for m in members], **extra}
