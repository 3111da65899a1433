from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from openmsp.assets.actions import create_asset
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.metrics.ingest import SampleIn, clear_cache
from openmsp.tenants.models import Client


@pytest.fixture
def server(client_a: Client) -> Asset:
    clear_cache()
    return create_asset(actor=Actor.system("test"), client=client_a, name="db-01", role="server")


@pytest.fixture
def now() -> dt.datetime:
    """A fixed 'now' a little in the past, on a bucket boundary plus 30 s, so tests can reason."""
    current = timezone.now().replace(second=30, microsecond=0)
    return current - dt.timedelta(minutes=current.minute % 5)


def cpu(t: dt.datetime, v: float, cpu_label: str = "total") -> SampleIn:
    return SampleIn("cpu.percent", {"cpu": cpu_label}, t, v)
