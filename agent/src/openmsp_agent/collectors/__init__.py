"""Collection behind a small per-OS interface: ``current_platform()`` picks the implementation."""

from __future__ import annotations

import sys

from openmsp_agent.collectors.platform import Platform


def current_platform() -> Platform:
    if sys.platform.startswith("linux"):
        from openmsp_agent.collectors.linux import LinuxPlatform

        return LinuxPlatform()
    # Windows and macOS collectors plug in here; until then psutil covers the portable parts.
    return Platform()
