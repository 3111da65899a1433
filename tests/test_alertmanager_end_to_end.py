"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) posts to our receiver: an
alert sent to its API opens a problem of the client its token names; resolving it there resolves
the problem here. Alertmanager listens on a free 127.0.0.1 port; its webhook points at the live
test server."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from openmsp.alerts import actions
from openmsp.alerts.models import Problem
from openmsp.core.actor import Actor
from tests.e2e import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

CONFIG = """
route:
  receiver: openmsp
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: openmsp
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def _alert(ends_at: dt.datetime | None = None) -> list[dict[str, object]]:
    alert: dict[str, object] = {
        "labels": {"alertname": "ErpDiskFull", "severity": "critical", "instance": "erp-db:9100"},
        "annotations": {"summary": "Disk almost full on erp-db", "description": "/var at 97%"},
        "startsAt": (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).isoformat(),
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    return [alert]


def test_alertmanager_opens_and_resolves_a_problem_through_the_webhook(
    live_server, client_a, tmp_path: Path
):
    if BINARY is None:
        pytest.skip("prometheus-alertmanager is not installed (scripts/ensure-services).")
    _token, secret = actions.create_alertmanager_token(
        actor=Actor.system("test"), client=client_a, name="prometheus"
    )
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        CONFIG.format(url=f"{live_server.url}/api/v1/alertmanager/webhook", token=secret)
    )
    log_file = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base), 20, "Alertmanager to be ready")
        httpx.post(f"{base}/api/v2/alerts", json=_alert(), timeout=5).raise_for_status()
        problem = wait_for(
            lambda: Problem.objects.filter(source="alertmanager", state="firing").first(),
            30,
            "the problem to open",
        )
        assert problem.client_id == client_a.pk
        assert problem.rule == "ErpDiskFull"
        assert problem.severity == "critical"
        assert problem.title == "Disk almost full on erp-db"
        assert problem.external

        resolved = _alert(ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        httpx.post(f"{base}/api/v2/alerts", json=resolved, timeout=5).raise_for_status()
        wait_for(
            lambda: Problem.objects.filter(pk=problem.pk, state="resolved").exists(),
            30,
            "the problem to resolve",
        )
        assert Problem.objects.count() == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
        log_file.close()
        log = (tmp_path / "alertmanager.log").read_text()
        if "error" in log.lower():
            print(log[-3000:])  # shown when the test fails


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
