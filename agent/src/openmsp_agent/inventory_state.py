"""The last inventory snapshot the server ACKNOWLEDGED, kept in ``state-dir/inventory.json``.

Diffs are always computed against it at send time, so a snapshot the server never received can not
become the base of a diff. ``need_full`` is set when the server answers 409 and cleared once a full
snapshot has been acknowledged.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from openmsp_agent.config import write_atomic
from openmsp_agent.snapshot import Snapshot, diff, normalize, snapshot_hash

log = logging.getLogger("openmsp_agent.inventory")


class InventoryState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._acked: Snapshot | None = None
        self._acked_hash: str | None = None
        self._need_full = False
        self._load()

    @property
    def acked_hash(self) -> str | None:
        return self._acked_hash

    @property
    def need_full(self) -> bool:
        return self._need_full

    def wants(self, snapshot: Snapshot) -> bool:
        """Whether this snapshot must be sent (it differs, or the server needs a full one)."""
        with self._lock:
            return self._need_full or self._acked_hash != snapshot_hash(snapshot)

    def body_for(self, snapshot: Snapshot) -> dict[str, Any]:
        """The batch's ``inventory`` object: a diff against the acknowledged base, or full."""
        new_hash = snapshot_hash(snapshot)
        with self._lock:
            if self._need_full or self._acked is None:
                return {"full": True, "hash": new_hash, "snapshot": normalize(snapshot)}
            return {
                "full": False,
                "base_hash": self._acked_hash,
                "hash": new_hash,
                "changes": diff(self._acked, snapshot),
            }

    def acknowledge(self, snapshot: Snapshot, *, was_full: bool) -> None:
        with self._lock:
            self._acked = normalize(snapshot)
            self._acked_hash = snapshot_hash(snapshot)
            if was_full:
                self._need_full = False
            self._save()

    def mark_need_full(self) -> None:
        with self._lock:
            self._need_full = True
            self._save()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning(
                "Ignoring unreadable %s (%s); the next inventory is sent in full.", self.path, exc
            )
            return
        snapshot = data.get("acked_snapshot")
        if isinstance(snapshot, dict):
            self._acked = snapshot
            self._acked_hash = snapshot_hash(snapshot)
        self._need_full = bool(data.get("need_full"))

    def _save(self) -> None:
        data = {
            "acked_hash": self._acked_hash,
            "acked_snapshot": self._acked,
            "need_full": self._need_full,
        }
        write_atomic(self.path, json.dumps(data, separators=(",", ":")).encode(), mode=0o600)
