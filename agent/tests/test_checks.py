"""Local check evaluators: each against the real thing on this host (processes, sockets, files,
scripts); systemd, which does not run in this container, through a fake `systemctl` first on PATH."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openmsp_agent import checks
from openmsp_agent.checks import CheckRunner, LogState, evaluate, parse_perfdata, split_output

# -- perfdata ---------------------------------------------------------------------------------


def test_perfdata_full_item_with_unit_and_levels() -> None:
    assert parse_perfdata("time=0.12s;1;2;0;10") == [
        {"label": "time", "value": 0.12, "uom": "s", "warn": 1.0, "crit": 2.0, "min": 0.0,
         "max": 10.0}
    ]  # fmt: skip


def test_perfdata_several_items_quoted_label_and_missing_fields() -> None:
    items = parse_perfdata("'disk /var'=85%;80;90 load1=0.5 users=3;;;0")
    assert [(i["label"], i["value"], i["uom"]) for i in items] == [
        ("disk /var", 85.0, "%"), ("load1", 0.5, ""), ("users", 3.0, ""),
    ]  # fmt: skip
    assert items[0]["warn"] == 80
    assert items[0]["crit"] == 90
    assert items[0]["min"] is None
    assert items[2]["warn"] is None
    assert items[2]["min"] == 0


def test_perfdata_skips_unknown_and_garbage_and_reads_ranges() -> None:
    items = parse_perfdata("a=U b= c=abc d=-1.5e3KB;10:;~:20 =5 'it''s'=1")
    assert [(i["label"], i["value"]) for i in items] == [("d", -1500.0), ("it's", 1.0)]
    assert items[0]["uom"] == "KB"
    assert items[0]["warn"] == 10.0
    assert items[0]["crit"] == 20.0
    assert parse_perfdata("") == []
    assert parse_perfdata("no equals sign here") == []


def test_output_split_at_the_first_pipe_and_long_output_perfdata() -> None:
    summary, perf = split_output("OK - all fine | a=1\nline two\nmore | b=2c\n")
    assert summary == "OK - all fine"
    assert [(p["label"], p["value"], p["uom"]) for p in perf] == [("a", 1.0, ""), ("b", 2.0, "c")]
    assert split_output("") == ("", [])


# -- script (Nagios) --------------------------------------------------------------------------


def _script(command: str, timeout: float = 5) -> checks.Result:
    return evaluate(
        {"id": 1, "kind": "agent_script", "settings": {"command": command},
         "timeout_seconds": timeout},
        LogState(None),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "status"),
    [(0, "ok"), (1, "warning"), (2, "critical"), (3, "unknown"), (4, "unknown"), (127, "unknown")],
)
def test_nagios_exit_codes(code: int, status: str) -> None:
    result = _script(f"echo 'STATE {code} | v={code}'; exit {code}")
    assert result.status == status
    assert result.details["exit_code"] == code
    assert result.perfdata[0]["value"] == code
    assert result.summary.endswith(f"STATE {code}")


def test_script_timeout_is_unknown_and_the_process_is_killed(tmp_path: Path) -> None:
    marker = tmp_path / "survived"
    result = _script(f"sleep 30; touch {marker}", timeout=0.5)
    assert result.status == "unknown"
    assert result.details == {"timed_out": True}
    assert "timed out" in result.summary
    assert not marker.exists()


def test_script_that_cannot_start_is_unknown() -> None:
    result = evaluate(
        {"id": 1, "kind": "agent_script", "settings": {"command": ["/nonexistent/plugin"]}},
        LogState(None),
    )
    assert result.status == "unknown"
    assert "cannot run" in result.summary


# -- process, port, metric --------------------------------------------------------------------


def test_process_present_and_absent() -> None:
    name = "sleep"
    proc = subprocess.Popen(["sleep", "30"])
    try:
        result = checks.check_process({"name": name, "min_count": 1}, 5)
        assert result.status == "ok"
        assert result.details["count"] >= 1
    finally:
        proc.kill()
        proc.wait()
    missing = checks.check_process({"name": "no-such-process-xyz"}, 5)
    assert missing.status == "critical"
    assert missing.details["count"] == 0


def test_port_listening_and_not() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert checks.check_port({"port": port}, 2).status == "ok"
    assert checks.check_port({"port": port}, 2).status == "critical"


def test_metric_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    real = checks.check_metric({"metric": "memory"}, 5)
    assert real.status == "ok"
    assert 0 < real.details["value"] <= 100
    disk = checks.check_metric({"metric": "disk", "mount": "/", "warning": 0}, 5)
    assert disk.status == "warning"
    assert "on /" in disk.summary
    values = iter([50.0, 85.0, 95.0])
    monkeypatch.setattr(checks, "metric_value", lambda metric, mount="/": next(values))
    levels = {"metric": "cpu", "warning": 80, "critical": 90}
    assert [checks.check_metric(levels, 5).status for _ in range(3)] == [
        "ok", "warning", "critical",
    ]  # fmt: skip
    monkeypatch.undo()
    assert checks.check_metric({"metric": "disk", "mount": "/nonexistent"}, 5).status == "unknown"


def test_load_metric_is_read() -> None:
    result = checks.check_metric({"metric": "load5", "critical": 1e9}, 5)
    assert result.status == "ok"
    assert result.details["value"] >= 0


# -- systemd through a fake systemctl on PATH ------------------------------------------------


def _fake_systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "systemctl"
    fake.write_text(
        '#!/bin/sh\n[ "$1" = is-active ] || exit 9\n'
        'state=$(cat "$(dirname "$0")/state-$2" 2>/dev/null || echo inactive)\n'
        'echo "$state"; [ "$state" = active ]\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return bindir


def test_systemd_service_active_and_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = _fake_systemctl(tmp_path, monkeypatch)
    (bindir / "state-nginx.service").write_text("active\n")
    ok = checks.check_service({"unit": "nginx.service"}, 5)
    assert ok.status == "ok"
    assert ok.details["state"] == "active"
    (bindir / "state-nginx.service").write_text("failed\n")
    down = checks.check_service({"unit": "nginx.service"}, 5)
    assert down.status == "critical"
    assert down.summary == "nginx.service is failed"
    assert checks.check_service({"unit": "other.service"}, 5).status == "critical"


def test_systemd_missing_is_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert checks.check_service({"unit": "x.service"}, 5).status == "unknown"


# -- log file pattern ------------------------------------------------------------------------


def _log(path: Path, state: LogState, **extra: Any) -> checks.Result:
    settings = {"path": str(path), "pattern": r"ERROR", **extra}
    return checks.check_log(settings, 5, state, "7")


def test_log_counts_only_new_lines_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("ERROR old\n")
    state_file = tmp_path / "logstate.json"
    state = LogState(state_file)
    assert _log(path, state).details["matches"] == 0  # history is not reported
    with path.open("a") as f:
        f.write("info\nERROR one\nERROR two\nERROR partial")
    result = _log(path, state, warning_count=1, critical_count=3)
    assert result.status == "warning"
    assert result.details["matches"] == 2
    assert "ERROR one" in result.summary
    with path.open("a") as f:
        f.write(" line\n")
    again = LogState(state_file)  # a new agent process remembers the offset
    assert _log(path, again).details["matches"] == 1
    assert _log(path, again).status == "ok"


def test_log_rotation_and_truncation_read_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("start\n" * 50)
    state = LogState(None)
    _log(path, state)
    path.rename(tmp_path / "app.log.1")  # logrotate: a new file under the old name
    path.write_text("ERROR after rotation\n")
    rotated = _log(path, state)
    assert rotated.details == {"matches": 1, "rotated": True}
    assert rotated.status == "critical"
    with path.open("r+") as f:  # copytruncate: same inode, shorter
        f.truncate(0)
    path.write_text("ERROR x\n")
    truncated = _log(path, state)
    assert truncated.details["matches"] == 1
    assert truncated.details["rotated"] is True
    assert _log(path, state).details == {"matches": 0, "rotated": False}


def test_log_file_missing_is_unknown(tmp_path: Path) -> None:
    assert _log(tmp_path / "none.log", LogState(None)).status == "unknown"


# -- the runner: config, version, spread, batches --------------------------------------------


def test_runner_keeps_config_runs_due_checks_and_batches_results(tmp_path: Path) -> None:
    now = [1000.0]
    queued: list[dict[str, Any]] = []
    runner = CheckRunner(
        tmp_path, queued.append, verify=lambda c: True, clock=lambda: now[0], wall=lambda: 1.8e9
    )
    items = [
        {"id": 1, "kind": "agent_script", "settings": {"command": "echo hi '|' x=1; exit 1"},
         "interval_seconds": 30, "timeout_seconds": 5, "retries": 0},
        {"id": 2, "kind": "agent_port", "settings": {"port": 1}, "interval_seconds": 60,
         "timeout_seconds": 1, "retries": 0},
    ]  # fmt: skip
    runner.configure({"version": "v1", "items": items})
    assert runner.version == "v1"
    now[0] += 10.1  # every phase is inside the first 10 s
    assert runner.run_due() == 2
    assert runner.run_due() == 0
    batch = queued[0]
    assert [r["check_id"] for r in batch["check_results"]] == [1, 2]
    assert batch["check_results"][0]["status"] == "warning"
    assert batch["check_results"][1]["status"] == "critical"
    assert batch["samples"] == [
        {"t": "2027-01-15T08:00:00.000Z", "m": "check.perfdata", "v": 1.0,
         "l": {"check": "1", "label": "x"}}
    ]  # fmt: skip
    now[0] += 30
    assert runner.run_due() == 1  # only the 30 s one
    restarted = CheckRunner(tmp_path, queued.append, verify=lambda c: True, clock=lambda: now[0])
    assert restarted.version == "v1"
    assert len(restarted.items) == 2
    restarted.configure({"version": "v1", "items": []})  # same version: nothing changes
    assert len(restarted.items) == 2
    restarted.configure({"version": "v2", "items": []})
    assert restarted.items == []
    assert CheckRunner(tmp_path, queued.append, verify=lambda c: False).version == "v2"


def test_runner_refuses_definitions_that_fail_verification(tmp_path: Path) -> None:
    queued: list[dict[str, Any]] = []
    runner = CheckRunner(tmp_path, queued.append, verify=lambda c: c.get("signature") == "good")
    items = [{"id": 1, "kind": "agent_script", "settings": {"command": "true"}}]
    runner.configure({"version": "v1", "items": items, "signature": "forged"})
    assert runner.version is None
    assert runner.items == []
    assert not (tmp_path / "checks.json").exists()
    runner.configure({"version": "v1", "items": items, "signature": "good"})
    assert runner.version == "v1"
    assert len(runner.items) == 1


def test_retries_repeat_a_failing_check(tmp_path: Path) -> None:
    counter = tmp_path / "n"
    command = f"echo x >> {counter}; exit 2"
    result = evaluate(
        {"id": 3, "kind": "agent_script", "settings": {"command": command}, "retries": 2},
        LogState(None),
    )
    assert result.status == "critical"
    assert counter.read_text().count("x") == 3
    assert sys.executable  # the tests run under the agent's own interpreter
