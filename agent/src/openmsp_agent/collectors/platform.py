"""The per-OS collection interface, with portable psutil implementations as defaults.

Every inventory method returns one section: a JSON object keyed by the item's natural key (see
``openmsp_agent.snapshot``), or raises ``SectionUnavailable`` with a short reason. An OS-specific
subclass (``linux.LinuxPlatform``; Windows and macOS later) overrides what it can do better.
"""

from __future__ import annotations

import ipaddress
import platform
import socket
from typing import Any

import psutil

from openmsp_agent.collectors.tools import SectionUnavailable
from openmsp_agent.encoding import rfc3339

SECTIONS = (
    "os",
    "hardware",
    "disks",
    "interfaces",
    "packages",
    "updates",
    "services",
    "ports",
    "users",
    "sessions",
    "time_sync",
)

# Pseudo and read-only image file systems say nothing about a host's storage.
IGNORED_FSTYPES = frozenset({"squashfs", "iso9660", "tmpfs", "devtmpfs", "overlay", "udf"})


class Platform:
    name = "generic"

    # -- metrics helpers -------------------------------------------------------------------

    def metric_mounts(self) -> list[tuple[str, str]]:
        """(mount point, device) of the file systems whose usage is reported, one per device."""
        seen: set[str] = set()
        mounts = []
        for part in psutil.disk_partitions(all=False):
            if part.fstype in IGNORED_FSTYPES or part.device in seen:
                continue
            seen.add(part.device)
            mounts.append((part.mountpoint, part.device))
        return mounts

    def is_physical_disk(self, name: str) -> bool:
        """Whether a disk I/O counter belongs to a whole disk (not a partition or loop device)."""
        return True

    # -- inventory sections ----------------------------------------------------------------

    def os_info(self) -> dict[str, Any]:
        return {
            "name": platform.system(),
            "version": platform.version(),
            "kernel": platform.release(),
            "arch": platform.machine(),
            "hostname": socket.gethostname(),
            "boot_time": rfc3339(psutil.boot_time()),
        }

    def hardware(self) -> dict[str, Any]:
        return {
            "cpu_model": platform.processor() or None,
            "cores": psutil.cpu_count(logical=False),
            "threads": psutil.cpu_count(logical=True),
            "ram_bytes": psutil.virtual_memory().total,
        }

    def disks(self) -> dict[str, Any]:
        section: dict[str, Any] = {}
        for part in psutil.disk_partitions(all=False):
            if part.fstype in IGNORED_FSTYPES:
                continue
            try:
                total = psutil.disk_usage(part.mountpoint).total
            except OSError:
                total = None
            section[part.mountpoint] = {
                "type": "filesystem",
                "device": part.device,
                "fstype": part.fstype,
                "total_bytes": total,
            }
        return section

    def interfaces(self) -> dict[str, Any]:
        stats = psutil.net_if_stats()
        section: dict[str, Any] = {}
        for name, addrs in psutil.net_if_addrs().items():
            stat = stats.get(name)
            if name == "lo" or name.startswith("lo0"):
                continue
            mac = next((a.address for a in addrs if a.family == psutil.AF_LINK), None)
            section[name] = {
                "mac": mac.lower() if mac else None,
                "addresses": sorted(filter(None, (_cidr(a.address, a.netmask) for a in addrs))),
                "up": stat.isup if stat else None,
                "mtu": stat.mtu if stat else None,
                "speed_mbps": stat.speed if stat and stat.speed else None,
            }
        return section

    def packages(self) -> dict[str, Any]:
        raise SectionUnavailable(f"package inventory is not implemented on {self.name}")

    def updates(self) -> dict[str, Any]:
        raise SectionUnavailable(f"pending updates are not implemented on {self.name}")

    def services(self) -> dict[str, Any]:
        raise SectionUnavailable(f"service inventory is not implemented on {self.name}")

    def ports(self) -> dict[str, Any]:
        names: dict[int, str | None] = {}
        section: dict[str, Any] = {}
        try:
            connections = psutil.net_connections(kind="inet")
        except psutil.AccessDenied:
            raise SectionUnavailable("listing sockets needs more privileges") from None
        for conn in connections:
            if not conn.laddr:
                continue
            if conn.type == socket.SOCK_STREAM:
                if conn.status != psutil.CONN_LISTEN:
                    continue
                proto = "tcp"
            elif conn.type == socket.SOCK_DGRAM:
                if conn.raddr:
                    continue
                proto = "udp"
            else:
                continue
            address, port = conn.laddr.ip, conn.laddr.port
            shown = f"[{address}]" if ":" in address else address
            key = f"{proto}/{shown}:{port}"
            process = _process_name(conn.pid, names)
            entry = section.setdefault(
                key, {"proto": proto, "address": address, "port": port, "process": None}
            )
            if process:
                # Forked servers share one socket: list every distinct program once.
                known = set(filter(None, (entry["process"] or "").split(",")))
                entry["process"] = ",".join(sorted(known | {process}))
        return section

    def users(self) -> dict[str, Any]:
        raise SectionUnavailable(f"local accounts are not implemented on {self.name}")

    def sessions(self) -> dict[str, Any]:
        section: dict[str, Any] = {}
        for user in psutil.users():
            started = int(user.started)
            key = f"{user.name}@{user.terminal or '-'}@{started}"
            section[key] = {
                "user": user.name,
                "terminal": user.terminal,
                "host": user.host or None,
                "started": rfc3339(started),
            }
        return section

    def time_sync(self) -> dict[str, Any]:
        raise SectionUnavailable(f"time synchronisation status is not implemented on {self.name}")


def _cidr(address: str, netmask: str | None) -> str | None:
    address = address.split("%", 1)[0]  # drop the IPv6 zone (fe80::1%eth0)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None  # a MAC (AF_LINK) or something else that is not an IP address
    if not netmask:
        return str(ip)
    try:
        prefix = ipaddress.ip_network(f"{ip}/{netmask}", strict=False).prefixlen
    except ValueError:
        return str(ip)
    return f"{ip}/{prefix}"


def _process_name(pid: int | None, cache: dict[int, str | None]) -> str | None:
    if pid is None:
        return None
    if pid not in cache:
        try:
            cache[pid] = psutil.Process(pid).name()
        except (psutil.Error, OSError):
            cache[pid] = None
    return cache[pid]
