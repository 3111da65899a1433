"""Disk-backed outbox: everything the agent collects waits here until the server has answered 200.

One SQLite file (WAL) in the state dir holds three tables:

- ``batches``: the batches to send, drained strictly in ``seq`` order;
- ``results``: command results, each retried on its own schedule so one stuck result never blocks
  the others;
- ``meta``: small counters (dropped batches, last successful send) that ``status`` reads.

The file survives restarts: a new process reopens it and continues from the oldest batch. Past the
size cap, or when the disk is full, the OLDEST batches are dropped and counted; the agent never
crashes on a full disk.

Each batch also records the monotonic clock and the boot id when it was stored, so that a batch
taken before the wall clock was stepped (NTP, an operator, a clock years off) can be sent with its
times corrected (``timing.clock_step``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openmsp_agent.encoding import compact_json

log = logging.getLogger("openmsp_agent.outbox")

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    mono REAL,
    boot TEXT
);
CREATE TABLE IF NOT EXISTS results (
    command_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS results_due ON results (not_before, created_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

MAX_RETRY_DELAY = 600.0  # seconds; longer than the sender's longest backoff (300 s)
KIND_BATCH = "batch"
KIND_INVENTORY = "inventory"  # payload is a snapshot; the sender turns it into a diff or full send


def connect(path: Path) -> sqlite3.Connection:
    """A connection shared by the agent's threads (callers hold a lock), autocommit, WAL."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a batch acknowledged to a collector is on disk
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def is_disk_full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc)


def current_boot_id() -> str | None:
    """Linux's id of this boot: monotonic readings compare only within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


@dataclass(frozen=True)
class Batch:
    seq: int
    batch_id: str
    kind: str
    created_at: float
    payload: dict[str, Any]
    mono: float | None = None  # monotonic clock when stored
    boot: str | None = None  # the boot that clock belongs to


@dataclass(frozen=True)
class Result:
    command_id: str
    payload: dict[str, Any]
    attempts: int


class Outbox:
    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 200 * 1024 * 1024,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        boot_id: str | None = None,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._wall = wall
        self._clock = clock
        self.boot_id = boot_id if boot_id is not None else current_boot_id()
        self._lock = threading.RLock()
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)
        self._add_missing_columns()
        self._bytes = self._scalar(
            "SELECT (SELECT COALESCE(SUM(size), 0) FROM batches)"
            " + (SELECT COALESCE(SUM(size), 0) FROM results)"
        )
        self._dropped = int(self.get_meta("dropped_batches") or 0)

    def _add_missing_columns(self) -> None:
        """An outbox written by an older agent gets the clock columns (its batches keep NULL)."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(batches)")}
        for column, kind in (("mono", "REAL"), ("boot", "TEXT")):
            if column not in have:
                self._conn.execute(f"ALTER TABLE batches ADD COLUMN {column} {kind}")

    # -- batches ---------------------------------------------------------------------------

    def put(self, payload: dict[str, Any], *, kind: str = KIND_BATCH) -> Batch | None:
        """Store a batch; None when it could not be stored even after dropping older ones."""
        text = compact_json(payload).decode()
        with self._lock:
            batch = self._insert_making_room(kind, text, payload)
            if batch is not None:
                self._enforce_cap(keep_seq=batch.seq)
            return batch

    def replace_inventory(self, snapshot: dict[str, Any]) -> Batch | None:
        """Queue an inventory snapshot, replacing one still waiting: only the latest state matters."""
        with self._lock:
            try:
                self._delete_where("kind = ?", (KIND_INVENTORY,))
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
            return self.put(snapshot, kind=KIND_INVENTORY)

    def peek(self) -> Batch | None:
        """The oldest batch (lowest seq), still stored until ``delete``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, batch_id, kind, created_at, payload, mono, boot FROM batches"
                " ORDER BY seq LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return Batch(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])

    def delete(self, batch_id: str) -> None:
        with self._lock:
            self._delete_where("batch_id = ?", (batch_id,))

    def renew_batch_id(self, seq: int) -> str:
        """Give a batch a fresh id, so a resend with different content is not taken as a duplicate."""
        new_id = str(uuid.uuid4())
        with self._lock:
            self._conn.execute("UPDATE batches SET batch_id = ? WHERE seq = ?", (new_id, seq))
        return new_id

    def depth(self) -> int:
        with self._lock:
            return self._scalar(
                "SELECT (SELECT COUNT(*) FROM batches) + (SELECT COUNT(*) FROM results)"
            )

    @property
    def dropped(self) -> int:
        """Batches dropped (size cap or full disk) since this state dir was created."""
        return self._dropped

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    def _insert_making_room(self, kind: str, text: str, payload: dict[str, Any]) -> Batch | None:
        size = len(text.encode())
        while True:
            batch_id = str(uuid.uuid4())
            created, mono = self._wall(), self._clock()
            try:
                cursor = self._conn.execute(
                    "INSERT INTO batches (batch_id, kind, created_at, payload, size, mono, boot)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (batch_id, kind, created, text, size, mono, self.boot_id),
                )
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
                if self._drop_oldest():
                    continue
                self._count_drops(1)
                log.error("Outbox: the disk is full and nothing is left to drop; batch dropped.")
                return None
            self._bytes += size
            seq = int(cursor.lastrowid or 0)
            return Batch(seq, batch_id, kind, created, payload, mono, self.boot_id)

    def count_refused(self) -> None:
        """A batch the server refused for good (422) and the sender dropped: counted as dropped."""
        with self._lock:
            self._count_drops(1)

    def _enforce_cap(self, *, keep_seq: int) -> None:
        while self._bytes > self.max_bytes:
            if not self._drop_oldest(keep_seq=keep_seq):
                return

    def _drop_oldest(self, *, keep_seq: int | None = None) -> bool:
        row = self._conn.execute(
            "SELECT seq FROM batches WHERE seq != ? ORDER BY seq LIMIT 1", (keep_seq or -1,)
        ).fetchone()
        if row is None:
            return False
        try:
            self._delete_where("seq = ?", (row[0],))
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            return False  # not even a delete fits on the disk
        self._count_drops(1)
        log.warning("Outbox over its limit: dropped the oldest batch (seq %s).", row[0])
        return True

    def _delete_where(self, where: str, args: tuple[Any, ...]) -> None:
        freed = self._scalar(f"SELECT COALESCE(SUM(size), 0) FROM batches WHERE {where}", args)  # noqa: S608
        self._conn.execute(f"DELETE FROM batches WHERE {where}", args)  # noqa: S608
        self._bytes -= freed

    def _count_drops(self, count: int) -> None:
        self._dropped += count
        try:
            self.set_meta("dropped_batches", str(self._dropped))
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise  # on a full disk the count stays in memory and is saved on the next drop

    # -- command results -------------------------------------------------------------------

    def put_result(self, command_id: str, payload: dict[str, Any]) -> bool:
        """Store a command's result; False when one is already waiting or the disk is full."""
        text = compact_json(payload).decode()
        size = len(text.encode())
        with self._lock:
            try:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO results (command_id, created_at, payload, size)"
                    " VALUES (?, ?, ?, ?)",
                    (command_id, self._wall(), text, size),
                )
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
                if self._drop_oldest():
                    return self.put_result(command_id, payload)
                log.error("Outbox: the disk is full; the result of command %s is lost.", command_id)
                return False
            if cursor.rowcount:
                self._bytes += size
            return bool(cursor.rowcount)

    def peek_result(self, *, now: float | None = None) -> Result | None:
        """The oldest result whose retry time has come. A retry time further ahead than any
        backoff means the wall clock was stepped back since: that result is due now."""
        at = self._wall() if now is None else now
        with self._lock:
            row = self._conn.execute(
                "SELECT command_id, payload, attempts FROM results"
                " WHERE not_before <= ? OR not_before > ?"
                " ORDER BY not_before, created_at LIMIT 1",
                (at, at + MAX_RETRY_DELAY),
            ).fetchone()
        return None if row is None else Result(row[0], json.loads(row[1]), row[2])

    def next_result_due(self) -> float | None:
        """Wall-clock time the next waiting result may be retried; None when there is none."""
        with self._lock:
            row = self._conn.execute("SELECT MIN(not_before) FROM results").fetchone()
        if row[0] is None:
            return None
        due, now = float(row[0]), self._wall()
        return now if due > now + MAX_RETRY_DELAY else due  # stepped back: due now

    def defer_result(self, command_id: str, *, delay: float) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE results SET attempts = attempts + 1, not_before = ? WHERE command_id = ?",
                (self._wall() + min(delay, MAX_RETRY_DELAY), command_id),
            )

    def delete_result(self, command_id: str) -> None:
        with self._lock:
            freed = self._scalar(
                "SELECT COALESCE(SUM(size), 0) FROM results WHERE command_id = ?", (command_id,)
            )
            self._conn.execute("DELETE FROM results WHERE command_id = ?", (command_id,))
            self._bytes -= freed

    # -- meta ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:
                log.warning("Outbox checkpoint on close failed: %s", exc)
            self._conn.close()

    def _scalar(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        row = self._conn.execute(sql, args).fetchone()
        return int(row[0] or 0)
