from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import fast_backoff, wait_for
from fakeserver import FakeServer
from openmsp_agent.auth import CredentialStore
from openmsp_agent.commands import CommandPoller, ExecutedLog, Refused, verify
from openmsp_agent.config import AgentConfig, Credentials
from openmsp_agent.encoding import canonical_json, rfc3339
from openmsp_agent.executor import OUTPUT_CAP, run_script
from openmsp_agent.outbox import Outbox
from openmsp_agent.signatures import verify_in_child, verify_in_process
from openmsp_agent.transport import HttpTransport

AGENT_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def executed(tmp_path: Path) -> Iterator[ExecutedLog]:
    log = ExecutedLog(tmp_path / "outbox.sqlite3")
    yield log
    log.close()


def public(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def command(key: Ed25519PrivateKey | None, **overrides: Any) -> dict[str, Any]:
    cmd = {
        "id": str(uuid.uuid4()),
        "kind": "shell",
        "script": "echo hello",
        "interpreter": "/bin/sh",
        "timeout_seconds": 30,
        "run_as": "root",
        "not_after": rfc3339(time.time() + 300),
        "agent_id": AGENT_ID,
        **overrides,
    }
    if key is not None:
        cmd["signature"] = base64.b64encode(key.sign(canonical_json(cmd))).decode()
    return cmd


def refusal_of(cmd: dict[str, Any], key: Ed25519PrivateKey, executed: ExecutedLog) -> str:
    with pytest.raises(Refused) as refused:
        verify(
            cmd,
            public_key=public(key),
            agent_id=AGENT_ID,
            executed=executed,
            verifier=verify_in_process,
        )
    return refused.value.reason


def test_a_valid_signed_command_passes_verification(
    key: Ed25519PrivateKey, executed: ExecutedLog
) -> None:
    verify(
        command(key),
        public_key=public(key),
        agent_id=AGENT_ID,
        executed=executed,
        verifier=verify_in_process,
    )


def test_the_child_process_checker_agrees_with_the_in_process_one(key: Ed25519PrivateKey) -> None:
    message = canonical_json({"id": "x", "script": "uname -a"})
    good = base64.b64encode(key.sign(message)).decode()
    other = base64.b64encode(Ed25519PrivateKey.generate().sign(message)).decode()

    assert verify_in_child(public(key), message, good) is True
    assert verify_in_child(public(key), message, other) is False
    assert verify_in_child(public(key), message + b" ", good) is False
    assert verify_in_child("not a key", message, good) is False


def test_the_running_agent_never_loads_cryptography(key: Ed25519PrivateKey, tmp_path: Path) -> None:
    code = (
        "import base64, json, sys; from openmsp_agent.signatures import verify_in_child;"
        "a = json.load(sys.stdin);"
        "ok = verify_in_child(a['k'], base64.b64decode(a['m']), a['s']);"
        "print(ok, 'cryptography' in sys.modules)"
    )
    message = b"payload"
    request = {
        "k": public(key),
        "m": base64.b64encode(message).decode(),
        "s": base64.b64encode(key.sign(message)).decode(),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.split() == ["True", "False"]


def test_an_unsigned_command_is_refused(key: Ed25519PrivateKey, executed: ExecutedLog) -> None:
    assert refusal_of(command(None), key, executed) == "unsigned"


def test_a_command_signed_by_another_key_is_refused(
    key: Ed25519PrivateKey, executed: ExecutedLog
) -> None:
    forged = command(Ed25519PrivateKey.generate())

    assert refusal_of(forged, key, executed) == "bad signature"


def test_a_command_altered_after_signing_is_refused(
    key: Ed25519PrivateKey, executed: ExecutedLog
) -> None:
    tampered = {**command(key), "script": "rm -rf /"}

    assert refusal_of(tampered, key, executed) == "bad signature"


def test_a_signature_that_is_not_base64_is_refused(
    key: Ed25519PrivateKey, executed: ExecutedLog
) -> None:
    assert refusal_of({**command(key), "signature": "%%%"}, key, executed) == "bad signature"


def test_a_command_for_another_agent_is_refused(
    key: Ed25519PrivateKey, executed: ExecutedLog
) -> None:
    other = command(key, agent_id=str(uuid.uuid4()))

    assert refusal_of(other, key, executed) == "addressed to another agent"


def test_an_expired_command_is_refused(key: Ed25519PrivateKey, executed: ExecutedLog) -> None:
    stale = command(key, not_after=rfc3339(time.time() - 1))

    assert refusal_of(stale, key, executed) == "expired"


def test_a_replayed_command_is_refused_even_after_a_restart(
    key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    cmd = command(key)
    first = ExecutedLog(tmp_path / "outbox.sqlite3")
    verify(
        cmd, public_key=public(key), agent_id=AGENT_ID, executed=first, verifier=verify_in_process
    )
    first.close()

    after_restart = ExecutedLog(tmp_path / "outbox.sqlite3")
    try:
        assert refusal_of(cmd, key, after_restart) == "replay: already run"
    finally:
        after_restart.close()


def test_a_command_of_an_unknown_kind_or_user_is_refused(
    key: Ed25519PrivateKey, executed: ExecutedLog
) -> None:
    assert refusal_of(command(key, kind="upload"), key, executed).startswith("unsupported kind")
    if os.geteuid() == 0:
        reason = refusal_of(command(key, run_as="no-such-user-here"), key, executed)
        assert reason.startswith("invalid: run_as user")


def test_a_script_runs_with_its_stdout_stderr_and_exit_code_captured() -> None:
    done = run_script(interpreter="/bin/sh", script="echo out; echo err >&2; exit 3", timeout=10)

    assert (done.exit_code, done.stdout, done.stderr, done.truncated) == (
        3,
        "out\n",
        "err\n",
        False,
    )
    assert done.started_at <= done.finished_at


def test_a_script_past_its_timeout_is_killed_with_its_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()

    done = run_script(
        interpreter="/bin/sh",
        script=f"sleep 300 & echo $! > {pidfile}; sleep 300",
        timeout=1,
    )

    assert time.monotonic() - started < 10
    assert done.exit_code is not None
    assert done.exit_code < 0
    assert "killed after 1 s timeout" in done.stderr
    assert done.timed_out
    child = int(pidfile.read_text())
    assert wait_for(lambda: not _alive(child))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_output_beyond_one_mib_is_cut_and_flagged() -> None:
    done = run_script(
        interpreter="/bin/sh", script="head -c 3000000 /dev/zero | tr '\\0' a", timeout=30
    )

    assert len(done.stdout) == OUTPUT_CAP
    assert done.truncated
    assert done.exit_code == 0


def test_a_script_too_long_for_the_command_line_is_fed_on_stdin() -> None:
    script = "x=1\n" * 40_000 + "echo done\n"

    done = run_script(interpreter="/bin/sh", script=script, timeout=30)

    assert done.stdout == "done\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_a_script_runs_as_the_run_as_user_when_the_agent_is_root() -> None:
    done = run_script(interpreter="/bin/sh", script="id -un", timeout=10, run_as="nobody")

    assert done.stdout.strip() == "nobody"


def test_stopping_the_agent_kills_a_running_script() -> None:
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()

    done = run_script(interpreter="/bin/sh", script="sleep 300", timeout=300, stop=stop)

    assert "agent stopping" in done.stderr
    assert done.exit_code is not None
    assert done.exit_code < 0


@pytest.fixture
def poller(
    server: FakeServer, config: AgentConfig, credentials: Credentials
) -> Iterator[tuple[CommandPoller, Outbox]]:
    outbox = Outbox(config.outbox_path)
    executed = ExecutedLog(config.outbox_path)
    store = CredentialStore(config.credentials_path, credentials)
    transport = HttpTransport(server.url, credentials=store.current)
    poll = CommandPoller(transport, outbox, executed, store, wait_seconds=1, backoff=fast_backoff())
    stop = threading.Event()
    thread = threading.Thread(target=poll.run, args=(stop,), daemon=True)
    thread.start()
    yield poll, outbox
    stop.set()
    poll.join(10)
    transport.close()
    thread.join(10)
    executed.close()
    outbox.close()


def wait_result(outbox: Outbox, command_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def ready() -> bool:
        result = outbox.peek_result()
        if result is not None and result.command_id == command_id:
            found.update(result.payload)
            return True
        return False

    assert wait_for(ready)
    return found


def test_a_polled_signed_command_runs_and_its_result_is_queued(
    server: FakeServer, credentials: Credentials, poller: tuple[CommandPoller, Outbox]
) -> None:
    cmd = server.queue_command(credentials.agent_id, "echo polled; exit 4")

    result = wait_result(poller[1], cmd["id"])

    assert result["exit_code"] == 4
    assert result["stdout"] == "polled\n"
    assert result["refused"] is None


def test_a_refused_command_is_reported_and_not_run(
    server: FakeServer,
    credentials: Credentials,
    poller: tuple[CommandPoller, Outbox],
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    cmd = server.queue_command(credentials.agent_id, f"touch {marker}", sign=False)

    result = wait_result(poller[1], cmd["id"])

    assert result["refused"] == "unsigned"
    assert result["exit_code"] is None
    assert not marker.exists()
