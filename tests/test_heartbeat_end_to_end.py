"""A real shell job reports to its heartbeat over HTTP: `sh -c` with curl, as a crontab line would
run it, against the live server; the run is timed from /start and its exit status decides."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.heartbeats import actions
from openmsp.heartbeats.models import Heartbeat, Ping

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("test")


@pytest.fixture
def observed() -> Iterator[list[spine.Observation]]:
    seen: list[spine.Observation] = []
    spine.register_observation_sink(seen.append)
    yield seen
    spine.unregister_observation_sink(seen.append)


def run_job(url: str, command: str) -> subprocess.CompletedProcess[str]:
    script = (
        f"curl -fsS -m 10 --retry 5 -o /dev/null {url}/start; "
        f"{command}; "
        f"curl -fsS -m 10 --retry 5 {url}/$?"
    )
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_shell_job_is_timed_from_its_start_and_its_exit_status_decides(
    live_server, client_a, observed
):
    hb = actions.create_heartbeat(actor=SYSTEM, client=client_a, name="export", period_seconds=60)
    url = f"{live_server.url}/ping/{hb.ping_key}"

    ok = run_job(url, "sleep 0.2; true")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "OK"
    success = Ping.objects.get(heartbeat=hb, kind=Ping.Kind.SUCCESS)
    assert success.exit_status == 0
    assert success.duration is not None
    assert 0.2 <= success.duration.total_seconds() < 10
    assert success.user_agent.startswith("curl/")
    assert Heartbeat.objects.get(pk=hb.pk).state == Heartbeat.State.UP

    failed = run_job(url, "sleep 0.2; sh -c 'exit 3'")
    assert failed.returncode == 0, failed.stderr
    failure = Ping.objects.get(heartbeat=hb, kind=Ping.Kind.FAIL)
    assert failure.exit_status == 3
    assert Heartbeat.objects.get(pk=hb.pk).state == Heartbeat.State.FAILED
    assert [(o.rule, o.status) for o in observed] == [("failed", "critical")]
