from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from openmsp.core import spine
from openmsp.core.spine import NoisePolicy, Observation


@pytest.fixture
def told() -> Iterator[list[spine.ProblemChange]]:
    """Every ProblemChange handed to the spine during the test (what notifications would get)."""
    changes: list[spine.ProblemChange] = []
    spine.register_problem_sink(changes.append)
    yield changes
    spine._problem_sinks.remove(changes.append)


def seen(
    client_id: int,
    status: str = "critical",
    *,
    at: dt.datetime | None = None,
    rule: str = "http",
    object_id: str = "7",
    policy: NoisePolicy | None = None,
    **extra: Any,
) -> Observation:
    return Observation(
        client_id=client_id,
        source=extra.pop("source", "check"),
        object_type=extra.pop("object_type", "monitoring.check"),
        object_id=object_id,
        rule=rule,
        status=status,  # type: ignore[arg-type]
        observed_at=at or timezone.now(),
        summary=extra.pop("summary", f"HTTP {503 if status != 'ok' else 200} from erp"),
        title=extra.pop("title", "ERP health"),
        policy=policy or NoisePolicy(),
        **extra,
    )
