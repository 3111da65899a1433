"""Disk-backed outbox: everything the agent collects waits here until the server has answered 200.

One SQLite file in the state dir holds three tables:

- ``batches``: the batches to send, drained strictly in ``seq`` order;
- ``results``: command results, each retried on its own schedule so one stuck result never blocks
  the others;
- ``meta``: small counters (dropped batches, last successful send) that ``status`` reads.

The file survives restarts: a new process reopens it and continues from the oldest batch. Past the
size cap, or when the disk is full, the OLDEST batches are dropped and counted; the agent never
crashes on a full disk, and delivered batches still leave (docs/adr/0008-outbox-on-a-full-disk.md):

- the journal is a rollback journal kept between transactions (``PERSIST``): the room it once took
  is reused, so a delete needs no new disk space; a WAL would need room to be checkpointed;
- a reserve file (``outbox.reserve``) holds a little room that is given back the moment SQLite
  finds the disk full, so the journal can still grow for the delete that makes room;
- once the disk was found full, the database file is not allowed to grow (``max_page_count``)
  until there is room again: a new batch then takes the pages the oldest one leaves, and the
  reserve can be taken back after each write;
- a delivered batch that still cannot be deleted is skipped in memory and deleted later, so the
  sender never sends it twice in a row.

Each batch also records the monotonic clock and the boot id when it was stored, so that a batch
taken before the wall clock was stepped (NTP, an operator, a clock years off) can be sent with its
times corrected (``timing.clock_step``).
"""

from __future__ import annotations

import json
import logging
import os
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

RESERVE_BYTES = 128 * 1024  # far more than the journal of one delete (a handful of 4 KiB pages)
JOURNAL_LIMIT_BYTES = 1024 * 1024  # a persisted journal larger than this is cut back after use
UNCAPPED_PAGES = 2**31 - 1
MAX_RETRY_DELAY = 600.0  # seconds; longer than the sender's longest backoff (300 s)
KIND_BATCH = "batch"
KIND_INVENTORY = "inventory"  # payload is a snapshot; the sender turns it into a diff or full send


def connect(path: Path) -> sqlite3.Connection:
    """A connection shared by the agent's threads (callers hold a lock), autocommit, with a
    persisted rollback journal (see the module docstring). An outbox an older agent left in WAL
    mode is converted here; should that fail (another process has it open), it stays WAL."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    try:
        mode = conn.execute("PRAGMA journal_mode=PERSIST").fetchone()[0]
    except sqlite3.OperationalError as exc:
        mode = str(exc)
    if str(mode).lower() != "persist":
        log.warning("Outbox %s stays in journal mode %s (PERSIST wanted).", path, mode)
    conn.execute(f"PRAGMA journal_size_limit={JOURNAL_LIMIT_BYTES}")
    conn.execute("PRAGMA synchronous=FULL")  # a batch acknowledged to a collector is on disk
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


class Reserve:
    """A file of zeros that keeps a little disk room for the outbox. Given back when SQLite finds
    the disk full (so the journal of the delete that makes room fits), taken again afterwards."""

    def __init__(self, path: Path, size: int = RESERVE_BYTES) -> None:
        self.path = path
        self.size = size

    def held(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def release(self) -> bool:
        """Give the room back to the filesystem; False when none was held."""
        if not self.held():
            return False
        try:
            os.truncate(self.path, 0)
        except OSError:
            return False
        return True

    def restore(self) -> bool:
        """Take the room again, as much as fits (real zeros, not a sparse hole); True when whole."""
        have = self.held()
        if have >= self.size:
            return True
        chunk = bytes(min(64 * 1024, self.size))
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError:
            return False
        try:
            while have < self.size:
                have += os.write(fd, chunk[: self.size - have])
            os.fsync(fd)
        except OSError:
            return False  # the disk is full: keep what was written
        finally:
            os.close(fd)
        return True


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
        reserve_bytes: int = RESERVE_BYTES,
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
        self._dropped_unsaved = False
        self.reserve = Reserve(path.with_name(path.stem + ".reserve"), reserve_bytes)
        self.reserve.restore()
        self._capped = False  # the disk was found full: the file may not grow until there is room
        # Sent (or settled) but not yet deleted because the disk was full: skipped, deleted later.
        self._gone_batches: set[int] = set()
        self._gone_results: set[str] = set()

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
            self._uncap_if_room()
            batch = self._insert_making_room(kind, text, payload)
            if batch is not None:
                self._enforce_cap(keep_seq=batch.seq)
            self._settle()
            return batch

    def replace_inventory(self, snapshot: dict[str, Any]) -> Batch | None:
        """Queue an inventory snapshot, replacing one still waiting: only the latest state matters."""
        with self._lock:
            try:
                self._delete_where("kind = ? AND seq NOT IN ({gone})", (KIND_INVENTORY,))
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
            return self.put(snapshot, kind=KIND_INVENTORY)

    def peek(self) -> Batch | None:
        """The oldest batch (lowest seq), still stored until ``delete``."""
        with self._lock:
            gone = self._gone_batches
            columns = "seq, batch_id, kind, created_at, payload, mono, boot"
            sql = f"SELECT {columns} FROM batches WHERE seq NOT IN ({_marks(gone)}) ORDER BY seq"  # noqa: S608
            row = self._conn.execute(f"{sql} LIMIT 1", tuple(gone)).fetchone()
        if row is None:
            return None
        return Batch(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])

    def delete(self, batch_id: str) -> None:
        """Delete a delivered batch. On a disk too full even for that, the batch is skipped from
        now on and deleted at the next write that succeeds: it is never sent twice in a row."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seq FROM batches WHERE batch_id = ?", (batch_id,)
            ).fetchone()
            if row is None:
                return
            try:
                self._delete_where("seq = ?", (row[0],))
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
                log.warning("Outbox: disk full, delivered batch seq %s is deleted later.", row[0])
                self._gone_batches.add(int(row[0]))
            self._settle()

    def renew_batch_id(self, seq: int) -> str:
        """Give a batch a fresh id, so a resend with different content is not taken as a duplicate."""
        new_id = str(uuid.uuid4())
        with self._lock:
            if self._try_write("UPDATE batches SET batch_id = ? WHERE seq = ?", (new_id, seq)):
                return new_id
            row = self._conn.execute(
                "SELECT batch_id FROM batches WHERE seq = ?", (seq,)
            ).fetchone()
            return str(row[0]) if row else new_id

    def depth(self) -> int:
        with self._lock:
            stored = self._scalar(
                "SELECT (SELECT COUNT(*) FROM batches) + (SELECT COUNT(*) FROM results)"
            )
            return stored - len(self._gone_batches) - len(self._gone_results)

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
                cursor = self._write(
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
        """Drop the oldest batch still waiting to be sent; False when none is left or even the
        delete does not fit on the disk."""
        self._purge_gone()
        gone = self._gone_batches
        row = self._conn.execute(
            f"SELECT seq FROM batches WHERE seq != ? AND seq NOT IN ({_marks(gone)})"  # noqa: S608
            " ORDER BY seq LIMIT 1",
            (keep_seq or -1, *gone),
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
        """Delete batches; ``{gone}`` in ``where`` stands for the seqs already delivered."""
        gone = self._gone_batches
        if "{gone}" in where:
            where, args = where.format(gone=_marks(gone)), (*args, *gone)
        freed = self._scalar(f"SELECT COALESCE(SUM(size), 0) FROM batches WHERE {where}", args)  # noqa: S608
        self._write(f"DELETE FROM batches WHERE {where}", args)  # noqa: S608
        self._bytes -= freed

    def _count_drops(self, count: int) -> None:
        self._dropped += count
        self._save_dropped()

    def _save_dropped(self) -> None:
        """On a full disk the count stays in memory (and is reported from there) until a write
        fits again."""
        self._dropped_unsaved = not self._put_meta("dropped_batches", str(self._dropped))

    # -- command results -------------------------------------------------------------------

    def put_result(self, command_id: str, payload: dict[str, Any]) -> bool:
        """Store a command's result; False when one is already waiting or the disk is full."""
        text = compact_json(payload).decode()
        size = len(text.encode())
        with self._lock:
            self._uncap_if_room()
            try:
                while True:
                    try:
                        cursor = self._write(
                            "INSERT OR IGNORE INTO results (command_id, created_at, payload, size)"
                            " VALUES (?, ?, ?, ?)",
                            (command_id, self._wall(), text, size),
                        )
                        break
                    except sqlite3.OperationalError as exc:
                        if not is_disk_full(exc):
                            raise
                        if not self._drop_oldest():
                            log.error(
                                "Outbox: the disk is full; the result of command %s is lost.",
                                command_id,
                            )
                            return False
            finally:
                self._settle()
            if cursor.rowcount:
                self._bytes += size
            return bool(cursor.rowcount)

    def peek_result(self, *, now: float | None = None) -> Result | None:
        """The oldest result whose retry time has come. A retry time further ahead than any
        backoff means the wall clock was stepped back since: that result is due now."""
        at = self._wall() if now is None else now
        with self._lock:
            gone = self._gone_results
            skip = f"command_id NOT IN ({_marks(gone)})"
            row = self._conn.execute(
                "SELECT command_id, payload, attempts FROM results"  # noqa: S608
                f" WHERE (not_before <= ? OR not_before > ?) AND {skip}"
                " ORDER BY not_before, created_at LIMIT 1",
                (at, at + MAX_RETRY_DELAY, *gone),
            ).fetchone()
        return None if row is None else Result(row[0], json.loads(row[1]), row[2])

    def next_result_due(self) -> float | None:
        """Wall-clock time the next waiting result may be retried; None when there is none."""
        with self._lock:
            gone = self._gone_results
            row = self._conn.execute(
                f"SELECT MIN(not_before) FROM results WHERE command_id NOT IN ({_marks(gone)})",  # noqa: S608
                tuple(gone),
            ).fetchone()
        if row[0] is None:
            return None
        due, now = float(row[0]), self._wall()
        return now if due > now + MAX_RETRY_DELAY else due  # stepped back: due now

    def defer_result(self, command_id: str, *, delay: float) -> None:
        with self._lock:
            self._try_write(
                "UPDATE results SET attempts = attempts + 1, not_before = ? WHERE command_id = ?",
                (self._wall() + min(delay, MAX_RETRY_DELAY), command_id),
            )

    def delete_result(self, command_id: str) -> None:
        """Delete a settled result; on a full disk it is skipped and deleted later (as batches)."""
        with self._lock:
            freed = self._scalar(
                "SELECT COALESCE(SUM(size), 0) FROM results WHERE command_id = ?", (command_id,)
            )
            if self._try_write("DELETE FROM results WHERE command_id = ?", (command_id,)):
                self._bytes -= freed
            else:
                self._gone_results.add(command_id)
            self._settle()

    # -- meta ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Best effort: on a full disk the value is not saved (it is informational only)."""
        with self._lock:
            self._put_meta(key, value)
            self._settle()

    def _put_meta(self, key: str, value: str) -> bool:
        """Upsert one meta value; False when the disk had no room for it."""
        return self._try_write(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- a full disk -----------------------------------------------------------------------

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        """One write statement. When the disk is full: cap the file where it is, give the reserve
        back and try once more (the journal now has room); a second SQLITE_FULL is raised."""
        try:
            return self._conn.execute(sql, args)
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            self._cap()
            if not self.reserve.release():
                raise
            log.debug("Outbox: the disk is full; the reserve was given back for this write.")
        return self._conn.execute(sql, args)

    def _try_write(self, sql: str, args: tuple[Any, ...]) -> bool:
        """A write that may be lost on a full disk; False when it was."""
        try:
            self._write(sql, args)
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc):
                raise
            log.warning("Outbox: the disk is full; not saved: %s.", " ".join(sql.split()[:3]))
            return False
        return True

    def _cap(self) -> None:
        """Let the database file grow no further: new rows must take the pages old ones leave,
        so the reserve, once given back, can be taken again."""
        if not self._capped:
            pages = self._scalar("PRAGMA page_count")
            self._conn.execute(f"PRAGMA max_page_count = {pages}")
            self._capped = True
            log.warning(
                "The disk is full: the outbox stays at %d KiB; the oldest batches make room.",
                pages * self._scalar("PRAGMA page_size") // 1024,
            )

    def _uncap_if_room(self) -> None:
        """Room again (someone freed space): the file may grow, and the reserve be taken back."""
        if not self._capped:
            return
        try:
            stat = os.statvfs(self.path.parent)
        except OSError:
            return
        if stat.f_bavail * stat.f_frsize > 2 * RESERVE_BYTES:
            self._conn.execute(f"PRAGMA max_page_count = {UNCAPPED_PAGES}")
            self._capped = False
            self.reserve.restore()
            log.info("Outbox: there is room on the disk again.")

    def _settle(self) -> None:
        """After a write: delete what was delivered meanwhile, save the drop count, take the
        reserve back."""
        self._purge_gone()
        if self._dropped_unsaved:
            self._save_dropped()
        if self._capped:
            self.reserve.restore()

    def _purge_gone(self) -> None:
        for seq in list(self._gone_batches):
            freed = self._scalar("SELECT COALESCE(SUM(size), 0) FROM batches WHERE seq = ?", (seq,))
            if not self._try_write("DELETE FROM batches WHERE seq = ?", (seq,)):
                return
            self._gone_batches.discard(seq)
            self._bytes -= freed
        for command_id in list(self._gone_results):
            freed = self._scalar(
                "SELECT COALESCE(SUM(size), 0) FROM results WHERE command_id = ?", (command_id,)
            )
            if not self._try_write("DELETE FROM results WHERE command_id = ?", (command_id,)):
                return
            self._gone_results.discard(command_id)
            self._bytes -= freed

    def _scalar(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        row = self._conn.execute(sql, args).fetchone()
        return int(row[0] or 0)


def _marks(values: set[Any]) -> str:
    """SQL placeholders for ``NOT IN (...)``; for an empty set, an empty list (excludes nothing)."""
    return ", ".join("?" * len(values)) or "SELECT NULL WHERE 0"
