"""Signals of the agent API.

`check_results_received` is sent after a batch with `check_results` commits, with keyword
arguments `agent`, `asset` and `results` (the list as the agent sent it, text made storable). The
monitoring capability turns them into check states; until a receiver is connected they are not
kept (agents only send them for local checks the server configured).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

check_results_received = Signal()

# The monitoring capability sets this: (asset id, the version the agent runs, the fingerprint
# the hot path read or None) -> the `checks` block of a batch answer, or None when current.
check_config_provider: Callable[[int, str | None, str | None], dict[str, Any] | None] | None = None
