"""Running the host's own tools (dpkg-query, systemctl …) for inventory, never raising past a section."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence


class SectionUnavailable(Exception):
    """A section could not be collected; the message becomes its ``errors`` note."""


def run_tool(args: Sequence[str], *, timeout: float = 120.0, ok_codes: Sequence[int] = (0,)) -> str:
    """The tool's stdout; SectionUnavailable when it is missing, fails, or hangs."""
    executable = shutil.which(args[0])
    if executable is None:
        raise SectionUnavailable(f"{args[0]} is not installed")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "SYSTEMD_PAGER": "", "PAGER": "cat"}
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
            [executable, *args[1:]],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SectionUnavailable(f"{args[0]} did not finish within {timeout:.0f} s") from None
    except OSError as exc:
        raise SectionUnavailable(f"{args[0]} could not run: {exc}") from exc
    if done.returncode not in ok_codes:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise SectionUnavailable(f"{args[0]} exited with {done.returncode}: {first}")
    return done.stdout


def read_text(path: str) -> str | None:
    """A small file's stripped content, or None when missing or unreadable (e.g. not root)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None
