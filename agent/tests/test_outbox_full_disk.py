"""The outbox on a really full filesystem: a 1 MiB tmpfs mounted for the test (needs root; skipped
only when mounting is impossible). SQLite meets a real ENOSPC here, journal and all, which
``max_page_count`` (test_outbox.py) cannot show."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import fast_backoff
from fakeserver import TOKEN, FakeServer
from openmsp_agent.auth import CredentialStore
from openmsp_agent.collectors.metrics import AgentHealth
from openmsp_agent.config import AgentConfig, ensure_state_dir
from openmsp_agent.enroll import enroll
from openmsp_agent.inventory_state import InventoryState
from openmsp_agent.outbox import Outbox
from openmsp_agent.sender import BATCHES_PATH, Sender, empty_batch
from openmsp_agent.transport import HttpTransport

PAD = "x" * 7000  # a batch of ~7 KB: 150 of them are more than the disk holds


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def fill(path: Path) -> None:
    """Someone else fills the disk to the last byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError, match="space") as full:  # noqa: PT012 (until the disk says no)
            while True:
                os.write(fd, bytes(4096))
    finally:
        os.close(fd)
    assert full.value.errno == errno.ENOSPC
    assert free_bytes(path.parent) == 0


def stored_seqs(path: Path) -> list[int]:
    """What really is in the file (another connection, as `openmsp-agent status` reads it)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT seq FROM batches ORDER BY seq")]
    finally:
        conn.close()


def test_new_batches_push_out_the_oldest_and_delivered_ones_leave_the_full_disk(
    tiny_disk: Path,
) -> None:
    outbox = Outbox(tiny_disk / "outbox.sqlite3")
    stored = [outbox.put({"n": n, "pad": PAD}) for n in range(150)]

    assert all(batch is not None for batch in stored), "every new batch found room"
    assert free_bytes(tiny_disk) < 64 * 1024, "the disk really is full"
    dropped = outbox.dropped
    assert 0 < dropped < 150
    sent = []
    while (batch := outbox.peek()) is not None:
        assert batch.payload["n"] not in sent, "a delivered batch came back"
        sent.append(batch.payload["n"])
        outbox.delete(batch.batch_id)
    assert sent == list(range(dropped, 150)), "the oldest were dropped, the rest kept in order"
    assert stored_seqs(outbox.path) == [], "delivered batches are gone from the file"
    assert outbox.depth() == 0

    for n in range(100):  # still full: collecting and delivering go on without a drop
        assert outbox.put({"n": n, "pad": PAD}) is not None
        batch = outbox.peek()
        assert batch is not None
        assert batch.payload["n"] == n
        outbox.delete(batch.batch_id)
    assert outbox.dropped == dropped
    assert stored_seqs(outbox.path) == []
    outbox.close()
    assert Outbox(tiny_disk / "outbox.sqlite3").dropped == dropped, "the count is on disk"


def test_a_disk_filled_by_someone_else_costs_the_oldest_batches_until_room_comes_back(
    tiny_disk: Path,
) -> None:
    outbox = Outbox(tiny_disk / "outbox.sqlite3")
    for n in range(10):
        outbox.put({"n": n, "pad": PAD})
    filler = tiny_disk / "huge.log"
    fill(filler)

    for n in range(10, 40):
        assert outbox.put({"n": n, "pad": PAD}) is not None
    dropped = outbox.dropped
    assert dropped >= 20, "the outbox did not grow: the oldest made room"
    outbox.set_meta("last_error", "still writable on a full disk, or skipped without a crash")
    assert outbox.put_result("cmd-1", {"exit_code": 0, "pad": PAD[:2000]}) in (True, False)
    outbox.defer_result("cmd-1", delay=1.0)
    outbox.delete_result("cmd-1")

    filler.unlink()  # room again: the outbox may grow, nothing more is dropped
    for n in range(40, 80):
        assert outbox.put({"n": n, "pad": PAD}) is not None
    assert outbox.dropped == dropped
    assert outbox.reserve.held() == outbox.reserve.size, "the reserve is whole again"
    outbox.close()


def test_without_any_room_delivered_batches_are_skipped_and_deleted_once_room_comes_back(
    tiny_disk: Path,
) -> None:
    outbox = Outbox(tiny_disk / "outbox.sqlite3", reserve_bytes=0)  # nothing to give back
    for n in range(20):
        outbox.put({"n": n, "pad": PAD})
    filler = tiny_disk / "huge.log"
    fill(filler)

    sent = []
    while (batch := outbox.peek()) is not None:
        sent.append(batch.payload["n"])
        outbox.delete(batch.batch_id)
        assert len(sent) <= 20, "the sender is wedged on one batch"
    assert sent == list(range(20)), "each delivered batch was sent once, in order"
    assert outbox.depth() == 0
    still_in_file = stored_seqs(outbox.path)
    assert still_in_file, "some deletes did not fit: this test shows the fallback"

    filler.unlink()
    outbox.put({"n": 20})  # the next write deletes what was delivered meanwhile
    assert [b for b in stored_seqs(outbox.path) if b in still_in_file] == []
    batch = outbox.peek()
    assert batch is not None
    assert batch.payload["n"] == 20
    outbox.close()


def test_the_sender_drains_a_full_disk_once_each_and_reports_the_drops(
    tiny_disk: Path, server: FakeServer
) -> None:
    state = tiny_disk / "state"
    ensure_state_dir(state)
    config = AgentConfig(state_dir=state, server_url=server.url)
    plain = HttpTransport(server.url)
    credentials = enroll(plain, server=server.url, token=TOKEN, machine_id="full-disk")
    plain.close()
    credentials.save(config.credentials_path)
    store = CredentialStore(config.credentials_path, credentials)
    outbox = Outbox(config.outbox_path)
    for n in range(150):
        outbox.put({**empty_batch(), "n": n, "pad": PAD})
    dropped = outbox.dropped
    assert dropped > 0
    transport = HttpTransport(server.url, credentials=store.current, timeout=5)
    health = AgentHealth(queue_depth=outbox.depth, dropped=lambda: outbox.dropped)
    sender = Sender(
        transport, outbox, InventoryState(config.inventory_path), health, store,
        checkin_seconds=3600, backoff=fast_backoff,
    )  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert server.wait_until(lambda s: len(s.batches) == 150 - dropped), len(
            server.state.batches
        )
    finally:
        stop.set()
        sender.wake.set()
        thread.join(5)
        transport.close()
    posts = [r for r in server.state.requests if r.path == BATCHES_PATH]
    assert len(posts) == 150 - dropped, "no batch was sent twice"
    assert [b["n"] for b in server.state.batches] == list(range(dropped, 150))
    assert {b["agent"]["dropped_batches"] for b in server.state.batches} == {dropped}
    assert outbox.depth() == 0
    assert stored_seqs(outbox.path) == []
    outbox.close()
