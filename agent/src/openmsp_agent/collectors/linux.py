"""Linux: /proc, /sys, /etc and the distribution's own read-only tools."""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

from openmsp_agent.collectors.platform import Platform
from openmsp_agent.collectors.tools import SectionUnavailable, read_text, run_tool

DMI_FIELDS = {
    "vendor": "sys_vendor",
    "product": "product_name",
    "serial": "product_serial",  # readable by root only
    "board_vendor": "board_vendor",
    "board": "board_name",
    "bios_vendor": "bios_vendor",
    "bios_version": "bios_version",
    "chassis_type": "chassis_type",
}
SKIPPED_BLOCK_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "nbd")
APT_LINE = re.compile(
    r"^(?P<name>[^/\s]+)/(?P<source>\S+)\s+(?P<version>\S+)\s+(?P<arch>\S+)"
    r"(?:\s+\[upgradable from:\s+(?P<current>[^\]]+)\])?"
)


class LinuxPlatform(Platform):
    name = "linux"

    def is_physical_disk(self, name: str) -> bool:
        return os.path.isdir(f"/sys/block/{name}") and not name.startswith(SKIPPED_BLOCK_PREFIXES)

    def os_info(self) -> dict[str, Any]:
        info = super().os_info()
        release = _os_release()
        info["name"] = release.get("NAME", info["name"])
        info["version"] = release.get("VERSION_ID", release.get("VERSION", ""))
        info["pretty_name"] = release.get("PRETTY_NAME")
        info["id"] = release.get("ID")
        return info

    def hardware(self) -> dict[str, Any]:
        info = super().hardware()
        info["cpu_model"] = _cpu_model() or info["cpu_model"]
        for key, name in DMI_FIELDS.items():
            value = read_text(f"/sys/class/dmi/id/{name}")
            if value:
                info[key] = value
        return info

    def disks(self) -> dict[str, Any]:
        section = super().disks()
        try:
            names = sorted(os.listdir("/sys/block"))
        except OSError:
            return section
        for name in names:
            if name.startswith(SKIPPED_BLOCK_PREFIXES):
                continue
            base = f"/sys/block/{name}"
            sectors = read_text(f"{base}/size")
            section[name] = {
                "type": "disk",
                "size_bytes": int(sectors) * 512 if sectors and sectors.isdigit() else None,
                "model": read_text(f"{base}/device/model"),
                "vendor": read_text(f"{base}/device/vendor"),
                "rotational": read_text(f"{base}/queue/rotational") == "1",
                "removable": read_text(f"{base}/removable") == "1",
            }
        return section

    def packages(self) -> dict[str, Any]:
        if shutil.which("dpkg-query"):
            out = run_tool(
                ["dpkg-query", "-W", "-f", "${binary:Package}\t${Version}\t${db:Status-Abbrev}\n"]
            )
            rows = [line.split("\t") for line in out.splitlines()]
            return _versions((r[0], r[1]) for r in rows if len(r) == 3 and r[2].startswith("ii"))
        if shutil.which("rpm"):
            out = run_tool(
                ["rpm", "-qa", "--qf", "%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\n"]
            )
            rows = [line.split("\t") for line in out.splitlines()]
            return _versions((r[0], r[1].removeprefix("0:")) for r in rows if len(r) == 2)
        raise SectionUnavailable("neither dpkg-query nor rpm is installed")

    def updates(self) -> dict[str, Any]:
        # Read-only on purpose: we list what the package cache already knows, never refresh it.
        if shutil.which("apt"):
            return _apt_upgradable(run_tool(["apt", "list", "--upgradable"]))
        if shutil.which("dnf"):
            out = run_tool(["dnf", "-q", "-C", "check-update"], ok_codes=(0, 100))
            return _dnf_updates(out)
        raise SectionUnavailable("neither apt nor dnf is installed")

    def services(self) -> dict[str, Any]:
        out = run_tool(
            [
                "systemctl",
                "list-units",
                "--type=service",
                "--all",
                "--no-legend",
                "--plain",
                "--no-pager",
            ]
        )
        section: dict[str, Any] = {}
        for line in out.splitlines():
            parts = line.split(None, 4)
            if len(parts) >= 4 and parts[0].endswith(".service"):
                section[parts[0]] = {
                    "load": parts[1],
                    "active": parts[2],
                    "sub": parts[3],
                    "description": parts[4] if len(parts) > 4 else "",
                }
        return section

    def users(self) -> dict[str, Any]:
        text = read_text("/etc/passwd")
        if text is None:
            raise SectionUnavailable("/etc/passwd is not readable")
        section: dict[str, Any] = {}
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) != 7 or not fields[0] or fields[0].startswith(("#", "+", "-")):
                continue
            name, _pw, uid, gid, gecos, home, shell = fields
            section[name] = {
                "uid": int(uid) if uid.isdigit() else None,
                "gid": int(gid) if gid.isdigit() else None,
                "gecos": gecos,
                "home": home,
                "shell": shell,
            }
        return section

    def time_sync(self) -> dict[str, Any]:
        try:
            props = _key_values(run_tool(["timedatectl", "show"], timeout=15))
        except SectionUnavailable:
            synchronized = _kernel_clock_synchronized()
            if synchronized is None:
                raise
            return {"synchronized": synchronized, "source": None, "method": "adjtimex"}
        return {
            "synchronized": props.get("NTPSynchronized") == "yes",
            "ntp_enabled": props.get("NTP") == "yes",
            "timezone": props.get("Timezone"),
            "source": _time_source(),
            "method": "timedatectl",
        }


def _os_release() -> dict[str, str]:
    text = read_text("/etc/os-release") or read_text("/usr/lib/os-release") or ""
    values = {}
    for key, value in _key_values(text).items():
        values[key] = value.strip().strip('"').strip("'")
    return values


def _key_values(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _cpu_model() -> str | None:
    text = read_text("/proc/cpuinfo") or ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware", "cpu model") and value.strip():
            return value.strip()
    return None


def _versions(pairs: Any) -> dict[str, Any]:
    """name -> version; names installed in several versions (kernels) list them all, sorted."""
    found: dict[str, set[str]] = {}
    for name, version in pairs:
        found.setdefault(name, set()).add(version)
    return {name: ", ".join(sorted(versions)) for name, versions in found.items()}


def _apt_upgradable(out: str) -> dict[str, Any]:
    section: dict[str, Any] = {}
    for line in out.splitlines():
        match = APT_LINE.match(line)
        if not match:
            continue  # "Listing...", warnings
        key = match["name"] if match["name"] not in section else f"{match['name']}:{match['arch']}"
        section[key] = {
            "version": match["version"],
            "current": match["current"],
            "source": match["source"],
            "security": "security" in match["source"],
        }
    return section


def _dnf_updates(out: str) -> dict[str, Any]:
    section: dict[str, Any] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3 or "." not in parts[0] or line.startswith(" "):
            continue  # blank lines, "Obsoleting Packages" blocks
        name, _, arch = parts[0].rpartition(".")
        section[parts[0] if name in section else name] = {
            "version": parts[1],
            "current": None,
            "source": parts[2],
            "security": "security" in parts[2],
            "arch": arch,
        }
    return section


def _time_source() -> str | None:
    try:
        name = run_tool(["timedatectl", "show-timesync", "-p", "ServerName", "--value"], timeout=15)
    except SectionUnavailable:
        name = ""
    if name.strip():
        return name.strip()
    if shutil.which("chronyc"):
        try:
            out = run_tool(["chronyc", "-n", "tracking"], timeout=15)
        except SectionUnavailable:
            return None
        for line in out.splitlines():
            if line.startswith("Reference ID") and "(" in line:
                return line.rsplit("(", 1)[1].rstrip(")").strip() or None
    return None


def _kernel_clock_synchronized() -> bool | None:
    """The kernel's own view (what timedatectl reports too): adjtimex() answers TIME_ERROR when unsynced."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex with modes=0: read only
        state = int(libc.adjtimex(timex))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    time_error = 5
    return state != time_error
