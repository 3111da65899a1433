"""Fixtures of interface stories: what was observed, an interface of client A, its reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient

from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.interfaces import actions
from openmsp.interfaces.models import Interface
from openmsp.tenants.models import Client

SYSTEM = Actor.system("test")
REPORT = "/api/v1/interfaces/report"


class Observed(list[spine.Observation]):
    def rules(self) -> list[tuple[str, str]]:
        return [(o.rule, o.status) for o in self]


@pytest.fixture
def observed() -> Iterator[Observed]:
    """Every observation handed to the spine during the test, in order."""
    seen = Observed()
    spine.register_observation_sink(seen.append)
    try:
        yield seen
    finally:
        spine.unregister_observation_sink(seen.append)


def make_interface(
    client: Client, code: str = "erp-wms-orders", **fields: Any
) -> tuple[Interface, str]:
    fields.setdefault("name", "ERP → WMS orders")
    return actions.create_interface(actor=SYSTEM, client=client, code=code, **fields)


def send_report(token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, str) else json.dumps(body)
    return HttpClient().post(REPORT, raw, content_type="application/json", headers=headers)


def fresh(iface: Interface) -> Interface:
    return Interface.objects.get(pk=iface.pk)
