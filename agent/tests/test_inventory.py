from __future__ import annotations

import shutil
from typing import Any

import pytest

from openmsp_agent.collectors import current_platform
from openmsp_agent.collectors.inventory import collect_snapshot
from openmsp_agent.collectors.linux import LinuxPlatform, _apt_upgradable, _dnf_updates
from openmsp_agent.collectors.platform import SECTIONS
from openmsp_agent.collectors.tools import SectionUnavailable, run_tool
from openmsp_agent.encoding import canonical_json


@pytest.fixture(scope="module")
def snapshot() -> dict[str, dict[str, Any]]:
    return collect_snapshot(current_platform())


def test_every_section_of_the_protocol_is_present(snapshot: dict[str, dict[str, Any]]) -> None:
    assert set(snapshot) == {*SECTIONS, "errors"}


def test_the_snapshot_is_plain_json(snapshot: dict[str, dict[str, Any]]) -> None:
    canonical_json(snapshot)  # raises on anything JSON can not carry


def test_core_sections_describe_this_host(snapshot: dict[str, dict[str, Any]]) -> None:
    assert snapshot["os"]["kernel"]
    assert snapshot["os"]["arch"]
    assert snapshot["hardware"]["ram_bytes"] > 0
    assert snapshot["hardware"]["threads"] >= 1
    assert any(item["type"] == "filesystem" for item in snapshot["disks"].values())
    assert "root" in snapshot["users"]


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg")
def test_installed_packages_are_listed_by_name_with_their_version(
    snapshot: dict[str, dict[str, Any]],
) -> None:
    packages = snapshot["packages"]
    assert len(packages) > 50
    assert "dpkg" in packages
    assert all(isinstance(v, str) and v for v in packages.values())


def test_a_section_that_fails_is_empty_and_explained_in_errors(
    snapshot: dict[str, dict[str, Any]],
) -> None:
    for name, reason in snapshot["errors"].items():
        assert snapshot[name] == {}
        assert isinstance(reason, str)
        assert reason


class BrokenPlatform(LinuxPlatform):
    def packages(self) -> dict[str, Any]:
        raise SectionUnavailable("neither dpkg-query nor rpm is installed")

    def users(self) -> dict[str, Any]:
        raise RuntimeError("a bug")


def test_a_missing_tool_or_a_bug_costs_only_its_own_section() -> None:
    snapshot = collect_snapshot(BrokenPlatform())

    assert snapshot["packages"] == {}
    assert snapshot["users"] == {}
    assert snapshot["errors"]["packages"] == "neither dpkg-query nor rpm is installed"
    assert snapshot["errors"]["users"] == "RuntimeError: a bug"
    assert snapshot["os"]


def test_running_a_missing_tool_raises_a_section_error_not_an_exception() -> None:
    with pytest.raises(SectionUnavailable, match="not installed"):
        run_tool(["definitely-not-a-tool-here"])


def test_a_failing_tool_is_reported_with_its_exit_code() -> None:
    with pytest.raises(SectionUnavailable, match="exited with 3"):
        run_tool(["sh", "-c", "echo boom >&2; exit 3"])


def test_apt_upgradable_output_is_parsed() -> None:
    out = (
        "Listing...\n"
        "openssl/stable-security 3.0.15-1~deb12u1 amd64 [upgradable from: 3.0.11-1~deb12u2]\n"
        "tzdata/stable-updates 2024b-0+deb12u1 all [upgradable from: 2024a-0+deb12u1]\n"
    )

    assert _apt_upgradable(out) == {
        "openssl": {
            "version": "3.0.15-1~deb12u1",
            "current": "3.0.11-1~deb12u2",
            "source": "stable-security",
            "security": True,
        },
        "tzdata": {
            "version": "2024b-0+deb12u1",
            "current": "2024a-0+deb12u1",
            "source": "stable-updates",
            "security": False,
        },
    }


def test_dnf_check_update_output_is_parsed() -> None:
    out = "\nkernel.x86_64    5.14.0-427.el9    baseos\nopenssl.x86_64  1:3.0.7-27.el9  appstream\n"

    updates = _dnf_updates(out)

    assert updates["kernel"]["version"] == "5.14.0-427.el9"
    assert updates["openssl"]["source"] == "appstream"
