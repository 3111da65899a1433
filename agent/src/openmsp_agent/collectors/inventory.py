"""One inventory snapshot: every section, each collected on its own so one failure stays local.

A section that can not be collected is empty, and the reason is noted in the ``errors`` section
(``{"packages": "neither dpkg-query nor rpm is installed"}``), itself keyed like every other section
so it diffs and hashes the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from openmsp_agent.collectors.platform import SECTIONS, Platform
from openmsp_agent.collectors.tools import SectionUnavailable
from openmsp_agent.snapshot import Snapshot

log = logging.getLogger("openmsp_agent.inventory")


def section_readers(platform: Platform) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "os": platform.os_info,
        "hardware": platform.hardware,
        "disks": platform.disks,
        "interfaces": platform.interfaces,
        "packages": platform.packages,
        "updates": platform.updates,
        "services": platform.services,
        "ports": platform.ports,
        "users": platform.users,
        "sessions": platform.sessions,
        "time_sync": platform.time_sync,
    }


def collect_snapshot(platform: Platform) -> Snapshot:
    snapshot: Snapshot = {}
    errors: dict[str, Any] = {}
    readers = section_readers(platform)
    for name in SECTIONS:
        try:
            snapshot[name] = readers[name]()
        except SectionUnavailable as exc:
            snapshot[name], errors[name] = {}, str(exc)
        except Exception as exc:  # a collector bug must not cost the other sections
            log.exception("Inventory section %s failed", name)
            snapshot[name], errors[name] = {}, f"{type(exc).__name__}: {exc}"
    snapshot["errors"] = errors
    return snapshot
