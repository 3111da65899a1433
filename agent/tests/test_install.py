from __future__ import annotations

import json
import sys
from pathlib import Path

from fakeserver import TOKEN, FakeServer
from openmsp_agent.install import InstallPaths, install, unit_text
from openmsp_agent.transport import HttpTransport

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "openmsp-agent.service"


def test_install_enrolls_writes_config_and_unit_and_starts_the_service(
    server: FakeServer, tmp_path: Path
) -> None:
    paths = InstallPaths(
        state_dir=tmp_path / "var/lib/openmsp-agent",
        config_file=tmp_path / "etc/openmsp-agent/agent.json",
        unit_file=tmp_path / "etc/systemd/system/openmsp-agent.service",
    )
    calls: list[list[str]] = []
    said: list[str] = []
    transport = HttpTransport(server.url)

    install(
        transport,
        server=server.url,
        token=TOKEN,
        ca_bundle=None,
        paths=paths,
        say=said.append,
        systemctl=calls.append,
    )
    transport.close()

    assert (paths.state_dir / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert json.loads(paths.config_file.read_text()) == {
        "server": server.url,
        "state_dir": str(paths.state_dir),
    }
    assert f"ExecStart={sys.executable} -m openmsp_agent run --config {paths.config_file}" in (
        paths.unit_file.read_text()
    )
    assert calls == [
        ["daemon-reload"],
        ["enable", "openmsp-agent.service"],
        ["restart", "openmsp-agent.service"],
    ]
    assert len(said) == 4


def test_the_packaged_unit_is_the_one_in_the_systemd_folder() -> None:
    packaged = unit_text(Path("/etc/openmsp-agent/agent.json"))

    original = UNIT.read_text()

    def without_exec(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("ExecStart=")]

    assert without_exec(packaged) == without_exec(original)


def test_the_unit_is_hardened_and_restarts() -> None:
    unit = UNIT.read_text()

    for line in (
        "Restart=always",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/openmsp-agent",
        "PrivateTmp=yes",
    ):
        assert line in unit.splitlines()
    assert "NoNewPrivileges=yes" not in unit
