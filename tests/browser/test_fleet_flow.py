"""The fleet, end to end with a REAL agent: an MSP owner creates an enrollment token in the UI, the
openmsp-agent process from agent/ enrolls with it and reports, and in Chromium the owner sees the
host online, its CPU chart drawn from the agent's samples, its installed packages, and runs
`uname -a` on it from the command runner."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from openmsp.agent_api.models import Agent, CommandRun
from openmsp.assets.models import Asset, InventorySnapshot
from openmsp.metrics.models import Sample
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
AGENT_SRC = Path(__file__).resolve().parents[2] / "agent" / "src"
# Short schedules so the test sees data within seconds (the server hands out 60 s / 6 h).
INTERVALS = {"metrics": 2, "inventory": 4, "checkin": 2, "command_poll": 3}


class AgentProcess:
    """`python -m openmsp_agent run …` in the foreground, its log in a file."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.log_path = state_dir.parent / "agent.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, server: str, token: str) -> None:
        config = self.state_dir.parent / "agent.json"
        config.write_text(json.dumps({"intervals": INTERVALS}), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(AGENT_SRC), *sys.path])}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [
            sys.executable, "-m", "openmsp_agent", "--log-level", "DEBUG", "run",
            "--config", str(config), "--server", server, "--token", token,
            "--state-dir", str(self.state_dir),
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]
        except FileNotFoundError:
            return ""

    def check_running(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"the agent exited with {self.process.returncode}:\n{self.log()}")

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            return None


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[AgentProcess]:
    process = AgentProcess(tmp_path / "state")
    try:
        yield process
    finally:
        process.stop()


def wait_for(
    what: str, condition: Callable[[], Any], agent: AgentProcess, timeout: float = 60
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent.check_running()
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}; agent log:\n{agent.log()}")


def create_token(page: Page, base: str, client_name: str) -> str:
    page.goto(f"{base}/assets/enroll/")
    page.select_option("#id_client", label=client_name)
    page.fill("#id_name", "browser test")
    page.fill("#id_max_uses", "1")
    page.click("#create-token")
    expect(page.locator("#new-token")).to_be_visible()
    expect(page.locator("#install-command")).to_contain_text("openmsp-agent install --server")
    token = page.locator("#token-text").inner_text().strip()
    assert token.startswith("ome_")
    return token


def test_an_msp_owner_enrolls_a_real_agent_and_watches_runs_and_inspects_the_host(
    live_server, browser_page, msp_owner, client_a, agent
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)

    # An enrollment token from the UI, and the real agent enrolling with it.
    token = create_token(page, base, client_a.name)
    agent.start(base, token)
    enrolled = wait_for("enrollment", lambda: Agent.objects.filter(client=client_a).first(), agent)
    asset_id = enrolled.asset_id
    wait_for(
        "the first check-in",
        lambda: Asset.objects.filter(pk=asset_id, status="online").exists(),
        agent,
    )
    wait_for(
        "CPU samples",
        lambda: Sample.objects.filter(
            series__asset_id=asset_id, series__name="cpu.percent"
        ).exists(),
        agent,
    )
    wait_for(
        "the inventory",
        lambda: InventorySnapshot.objects.filter(asset_id=asset_id).exists(),
        agent,
    )
    asset = wait_for("the asset", lambda: Asset.objects.filter(pk=asset_id).first(), agent)
    assert asset.hostname == socket.gethostname()

    # The fleet page: the host, online.
    page.locator(".shell-nav a", has_text="Assets").click()
    expect(page.locator("main h1")).to_contain_text("Assets")
    row = page.locator(f'#asset-table tr[data-asset="{asset_id}"]')
    expect(row).to_contain_text(asset.name)
    expect(row.locator('[data-status="online"]')).to_have_text("Online")
    expect(row).to_contain_text("%")  # CPU/memory/disk at a glance

    # The host page; its metrics tab draws the CPU chart from the agent's samples.
    row.get_by_role("link", name=asset.name).click()
    expect(page.locator("#asset-name")).to_contain_text(asset.name)
    expect(page.locator(".agent-strip")).to_contain_text("openmsp-agent 0.1.0")
    page.get_by_role("tab", name="Metrics").click()
    cpu = page.locator('canvas[data-metric-chart="cpu"]')
    expect(cpu).to_have_attribute("data-loaded", "true")
    assert int(cpu.get_attribute("data-points") or 0) > 0
    assert cpu.get_attribute("data-resolution") == "raw"
    assert cpu.bounding_box() is not None
    page.locator('a[data-range="6h"]').click()
    expect(page.locator('a[data-range="6h"][aria-current="true"]')).to_be_visible()
    expect(page.locator('canvas[data-metric-chart="memory"]')).to_have_attribute(
        "data-loaded", "true"
    )

    # Inventory: the packages dpkg (or rpm) reports on this very machine.
    page.get_by_role("tab", name="Inventory").click()
    packages = page.locator("#inventory-table tbody tr")
    expect(packages.first).to_be_visible()
    assert packages.count() > 5
    page.fill("#inventory-search", "python3")
    expect(page.locator("#inventory-table")).to_contain_text("python3")

    # The command runner: uname -a, queued -> delivered -> finished, with its output.
    page.get_by_role("tab", name="Commands").click()
    page.fill("#id_script", "uname -a")
    page.click("#run-command")
    expect(page.locator("#command-run")).to_be_visible()
    # The agent's side first, so a failure shows the agent's log rather than only the page.
    wait_for(
        "the command run to finish",
        lambda: CommandRun.objects.filter(
            agent=enrolled, status=CommandRun.Status.SUCCEEDED
        ).exists(),
        agent,
        timeout=45,
    )
    expect(page.locator("#command-run")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#command-stdout")).to_contain_text("Linux")
    expect(page.locator('#command-run li[data-step="finished"]')).to_have_class("reached")
    expect(page.locator("#run-table")).to_contain_text("Succeeded")

    # Stopped cleanly. The server answers the agent's last long poll when its wait is over; let
    # it, so the live server is idle when the test session ends.
    assert agent.stop() == 0, agent.log()
    time.sleep(INTERVALS["command_poll"] + 1.5)
