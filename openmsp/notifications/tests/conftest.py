from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from openmsp.core import spine
from openmsp.notifications.tests.peers import HttpPeer, SmtpPeer

_ids = itertools.count(1000)


@pytest.fixture
def client_a(client_a: Any) -> Any:
    """Client A reads English in these tests, so they can assert the message formats in it;
    texts in the reader's language (Korean by default) are test_recipient_language.py's."""
    from openmsp.core.actor import Actor
    from openmsp.tenants import actions as tenant_actions

    return tenant_actions.update_client(
        actor=Actor.system("test"), client=client_a, changes={"language": "en"}
    )


@pytest.fixture
def smtp_peer(smtp: SmtpPeer) -> SmtpPeer:
    """The suite's SMTP peer (the root conftest's `smtp`), by this package's older name."""
    return smtp


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    with HttpPeer() as peer:
        yield peer


def change(
    client: Any, problem_id: int | None = None, kind: str = "firing", **extra: Any
) -> spine.ProblemChange:
    """Tell notifications about a problem change through the real seam; returns the change."""
    pid = problem_id if problem_id is not None else next(_ids)
    values: dict[str, Any] = {
        "problem_id": pid,
        "client_id": client.pk,
        "fingerprint": f"check:monitoring.check:{pid}:http",
        "kind": kind,
        "severity": "critical",
        "title": f"web-{pid} is down",
        "summary": f"HTTP 503 from https://web-{pid}.example/health",
        "at": timezone.now(),
        "url": f"/problems/{pid}/",
        **extra,
    }
    c = spine.ProblemChange(**values)
    spine.problem_changed(c)
    return c


@pytest.fixture
def tell() -> Callable[..., spine.ProblemChange]:
    return change


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)
