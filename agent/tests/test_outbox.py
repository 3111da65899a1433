from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from openmsp_agent.outbox import KIND_INVENTORY, Outbox, is_disk_full


def drain(outbox: Outbox) -> list[int]:
    """The ``n`` of every stored batch, oldest first, deleting as it goes (like the sender)."""
    seen = []
    while (batch := outbox.peek()) is not None:
        seen.append(batch.payload["n"])
        outbox.delete(batch.batch_id)
    return seen


def test_batches_come_out_oldest_first_with_increasing_seq(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    stored = [outbox.put({"n": n}) for n in range(5)]

    assert [b.seq for b in stored if b] == sorted(b.seq for b in stored if b)
    assert len({b.batch_id for b in stored if b}) == 5
    assert drain(outbox) == [0, 1, 2, 3, 4]
    assert outbox.depth() == 0


def test_a_batch_stays_until_it_is_deleted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put({"n": 1})

    first = outbox.peek()
    again = outbox.peek()

    assert first is not None
    assert again is not None
    assert first.batch_id == again.batch_id


def test_the_outbox_survives_a_restart_and_continues_from_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path)
    for n in range(3):
        outbox.put({"n": n})
    last = outbox.put({"n": 3})
    first = outbox.peek()
    assert first is not None
    assert last is not None
    outbox.delete(first.batch_id)
    outbox.close()

    reopened = Outbox(path)
    later = reopened.put({"n": 4})

    assert later is not None
    assert later.seq > last.seq
    assert drain(reopened) == [1, 2, 3, 4]


def test_seq_never_goes_back_even_after_the_outbox_was_emptied(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path)
    before = outbox.put({"n": 1})
    drain(outbox)
    outbox.close()

    after = Outbox(path).put({"n": 2})

    assert before is not None
    assert after is not None
    assert after.seq > before.seq


def test_past_the_size_cap_the_oldest_batches_are_dropped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path, max_bytes=5_000)
    for n in range(10):
        outbox.put({"n": n, "pad": "x" * 900})

    kept = drain(outbox)

    assert kept == list(range(10 - len(kept), 10))  # the newest survive, in order
    assert 0 < len(kept) < 10
    assert outbox.dropped == 10 - len(kept)
    outbox.close()
    assert Outbox(path).dropped == 10 - len(kept)  # the count is persisted


def test_a_full_disk_drops_the_oldest_batches_instead_of_crashing(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    page_count = outbox._conn.execute("PRAGMA page_count").fetchone()[0]
    # Make the database really full: SQLite refuses to grow past max_page_count with SQLITE_FULL.
    outbox._conn.execute(f"PRAGMA max_page_count = {page_count + 12}")
    stored = [outbox.put({"n": n, "pad": "y" * 3000}) for n in range(40)]

    assert all(b is not None for b in stored)  # every new batch found room
    assert outbox.dropped > 0
    kept = drain(outbox)
    assert kept[-1] == 39
    assert kept == sorted(kept)
    assert len(kept) + outbox.dropped == 40


def test_a_batch_that_can_never_fit_is_dropped_and_counted_without_an_exception(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    page_count = outbox._conn.execute("PRAGMA page_count").fetchone()[0]
    outbox._conn.execute(f"PRAGMA max_page_count = {page_count + 1}")

    result = outbox.put({"pad": "z" * 200_000})

    assert result is None
    assert outbox.dropped == 1


def test_disk_full_errors_are_recognised(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    conn.execute("CREATE TABLE t (x TEXT)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(sqlite3.OperationalError) as full:
        conn.execute("INSERT INTO t VALUES (?)", ("w" * 100_000,))

    assert is_disk_full(full.value)
    conn.close()


def test_a_new_inventory_snapshot_replaces_the_one_still_waiting(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put({"n": 0})
    outbox.replace_inventory({"os": {"kernel": "1"}})
    outbox.replace_inventory({"os": {"kernel": "2"}})

    kinds = []
    while (batch := outbox.peek()) is not None:
        kinds.append((batch.kind, batch.payload))
        outbox.delete(batch.batch_id)

    assert kinds == [("batch", {"n": 0}), (KIND_INVENTORY, {"os": {"kernel": "2"}})]


def test_command_results_are_kept_once_per_command_and_retried_on_their_own_schedule(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    assert outbox.put_result("c1", {"exit_code": 0})
    assert not outbox.put_result("c1", {"refused": "replay"})  # the real result is kept
    assert outbox.put_result("c2", {"exit_code": 1})

    outbox.defer_result("c1", delay=60)
    due = outbox.peek_result()
    assert due is not None
    assert due.command_id == "c2"
    outbox.delete_result("c2")

    assert outbox.peek_result() is None
    later = outbox.peek_result(now=time.time() + 61)
    assert later is not None
    assert later.command_id == "c1"
    assert later.payload == {"exit_code": 0}
    assert later.attempts == 1


def test_metadata_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path)
    outbox.set_meta("last_success_at", "2026-11-26T05:00:00.000Z")
    outbox.close()

    assert Outbox(path).get_meta("last_success_at") == "2026-11-26T05:00:00.000Z"


def test_an_outbox_an_older_agent_left_in_wal_mode_is_converted_and_keeps_its_batches(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.close()
    outbox = Outbox(path)
    outbox.put({"n": 1})
    outbox.close()
    wal = sqlite3.connect(path, isolation_level=None)
    wal.execute("PRAGMA journal_mode=WAL")  # as an older agent left it, a batch still waiting
    wal.close()

    reopened = Outbox(path)

    assert reopened._conn.execute("PRAGMA journal_mode").fetchone()[0] == "persist"
    assert drain(reopened) == [1]
    assert reopened.reserve.held() == reopened.reserve.size
    reopened.close()
