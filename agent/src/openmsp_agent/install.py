"""``openmsp-agent install``: enroll, write the config file and the systemd unit, start the service."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from openmsp_agent.config import (
    DEFAULT_CONFIG_FILE,
    DEFAULT_STATE_DIR,
    ensure_state_dir,
    machine_id,
    write_atomic,
)
from openmsp_agent.enroll import enroll
from openmsp_agent.transport import Transport

UNIT_NAME = "openmsp-agent.service"


@dataclass(frozen=True)
class InstallPaths:
    state_dir: Path = DEFAULT_STATE_DIR
    config_file: Path = DEFAULT_CONFIG_FILE
    unit_file: Path = Path("/etc/systemd/system") / UNIT_NAME


def unit_text(config_file: Path) -> str:
    """The packaged unit with ExecStart pointing at this interpreter (venv installs work too)."""
    template = resources.files("openmsp_agent").joinpath(UNIT_NAME).read_text(encoding="utf-8")
    command = shlex.join(
        [sys.executable, "-m", "openmsp_agent", "run", "--config", str(config_file)]
    )
    lines = [
        f"ExecStart={command}" if line.startswith("ExecStart=") else line
        for line in template.splitlines()
    ]
    return "\n".join(lines) + "\n"


def systemd_running() -> bool:
    return os.path.isdir("/run/systemd/system")


def install(
    transport: Transport,
    *,
    server: str,
    token: str,
    ca_bundle: Path | None,
    paths: InstallPaths = InstallPaths(),
    say: Callable[[str], None] = print,
    systemctl: Callable[[list[str]], None] | None = None,
) -> None:
    ensure_state_dir(paths.state_dir)
    credentials = enroll(
        transport, server=server, token=token, machine_id=machine_id(paths.state_dir)
    )
    credentials.save(paths.state_dir / "credentials.json")
    say(
        f"Enrolled as agent {credentials.agent_id}; credentials in {paths.state_dir}/credentials.json (mode 0600)."
    )

    settings: dict[str, object] = {"server": server, "state_dir": str(paths.state_dir)}
    if ca_bundle is not None:
        settings["ca_bundle"] = str(ca_bundle.resolve())
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(paths.config_file, json.dumps(settings, indent=2).encode() + b"\n", mode=0o644)
    say(f"Wrote {paths.config_file}.")

    paths.unit_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(paths.unit_file, unit_text(paths.config_file).encode(), mode=0o644)
    say(f"Installed the systemd unit {paths.unit_file}.")

    run = systemctl or _systemctl
    if systemctl is None and not systemd_running():
        say(
            "systemd is not running on this host: the service was not started. Run the agent with "
            f"`{sys.executable} -m openmsp_agent run --config {paths.config_file}`."
        )
        return
    run(["daemon-reload"])
    run(["enable", UNIT_NAME])
    run(["restart", UNIT_NAME])  # not just --now: a running agent must pick up the new secret
    say(
        f"Enabled and (re)started {UNIT_NAME} (`systemctl status {UNIT_NAME}`, `journalctl -u {UNIT_NAME}`)."
    )


def _systemctl(args: list[str]) -> None:
    subprocess.run(["systemctl", *args], check=True)  # noqa: S603, S607 - fixed arguments
