"""Local checks: definitions learnt from the server, evaluated on this host, results batched.

The server sends the definitions in a batch answer (``checks``: ``{"version", "items"}``) when the
version the agent last reported (``checks_version`` in every batch) differs. The block is signed
like a command (script checks run code): a bad signature or another agent's id is refused. The
agent keeps them
in ``state-dir/checks.json`` so a restart runs them at once. Each check runs on its interval at a
stable phase derived from its id (a host's checks are spread over the interval); the results of
one pass go into the outbox as one batch (``check_results``, plus perfdata as samples).

Evaluators are plain functions ``(settings, timeout) -> Result`` so each is unit-tested alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from openmsp_agent.encoding import rfc3339

log = logging.getLogger("openmsp_agent.checks")

STATUSES = ("ok", "warning", "critical", "unknown")
NAGIOS = {0: "ok", 1: "warning", 2: "critical", 3: "unknown"}
_RANK = {"ok": 0, "unknown": 1, "warning": 2, "critical": 3}
SUMMARY = 300
OUTPUT_CAP = 64 * 1024


@dataclass
class Result:
    status: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    perfdata: list[dict[str, Any]] = field(default_factory=list)


def _line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat[:SUMMARY]


def level(value: float, warning: float | None, critical: float | None) -> str:
    if critical is not None and value >= critical:
        return "critical"
    if warning is not None and value >= warning:
        return "warning"
    return "ok"


# -- perfdata ---------------------------------------------------------------------------------

_PERF = re.compile(r"""('(?:[^']|'')+'|[^'\s=][^\s=]*)=(\S*)""")
_NUMBER = re.compile(r"^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)([a-zA-Z%/]*)$")


def _num(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        # A Nagios range ("10:", "~:20", "@5:10"): its end, or its start when open-ended.
        ends = [p for p in text.lstrip("@").split(":") if p and p != "~"]
        try:
            return float(ends[-1]) if ends else None
        except ValueError:
            return None


def parse_perfdata(text: str) -> list[dict[str, Any]]:
    """``label=value[UOM];warn;crit;min;max`` items, separated by spaces; labels may be quoted
    ('disk /var'=3). Items whose value is not a number (``U``, empty) are skipped."""
    items: list[dict[str, Any]] = []
    for match in _PERF.finditer(text or ""):
        label, rest = match.group(1), match.group(2)
        if label.startswith("'"):
            label = label[1:-1].replace("''", "'")
        fields = rest.split(";")
        value = _NUMBER.match(fields[0])
        if not label or value is None:
            continue
        extra = [_num(f) for f in fields[1:5]] + [None] * 4
        items.append(
            {
                "label": label,
                "value": float(value.group(1)),
                "uom": value.group(2),
                "warn": extra[0],
                "crit": extra[1],
                "min": extra[2],
                "max": extra[3],
            }
        )
    return items


def split_output(output: str) -> tuple[str, list[dict[str, Any]]]:
    """A plugin's output: the text before the first ``|`` is the summary; perfdata follows ``|``
    on the first line and on any later line (Nagios long output)."""
    lines = output.splitlines() or [""]
    first, _, perf = lines[0].partition("|")
    more = []
    for line in lines[1:]:
        if "|" in line:
            more.append(line.split("|", 1)[1])
    return first.strip(), parse_perfdata(" ".join([perf, *more]))


# -- evaluators -------------------------------------------------------------------------------


def metric_value(metric: str, mount: str = "/") -> float:
    if metric == "cpu":
        return float(psutil.cpu_percent(interval=0.2))
    if metric == "memory":
        return float(psutil.virtual_memory().percent)
    if metric == "disk":
        return float(psutil.disk_usage(mount).percent)
    if metric in ("load1", "load5", "load15"):
        return float(os.getloadavg()[("load1", "load5", "load15").index(metric)])
    raise ValueError(f"unknown metric {metric!r}")


def check_metric(settings: dict[str, Any], timeout: float) -> Result:
    metric = str(settings.get("metric", "cpu"))
    mount = str(settings.get("mount") or "/")
    try:
        value = metric_value(metric, mount)
    except (OSError, ValueError) as exc:
        return Result("unknown", _line(f"{metric}: {exc}"))
    status = level(value, settings.get("warning"), settings.get("critical"))
    where = f" on {mount}" if metric == "disk" else ""
    unit = "" if metric.startswith("load") else "%"
    return Result(
        status,
        f"{metric}{where} {value:.1f}{unit}",
        {"value": value},
        [{"label": metric, "value": value, "uom": unit}],
    )


def check_service(settings: dict[str, Any], timeout: float) -> Result:
    unit = str(settings.get("unit", ""))
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return Result("unknown", "systemctl is not available on this host")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [systemctl, "is-active", unit], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return Result("unknown", f"systemctl is-active {unit} timed out after {timeout:g} s")
    state = done.stdout.strip() or "unknown"
    if done.returncode == 0 and state == "active":
        return Result("ok", f"{unit} is active", {"state": state})
    return Result("critical", f"{unit} is {state}", {"state": state})


def check_process(settings: dict[str, Any], timeout: float) -> Result:
    name = str(settings.get("name", ""))
    minimum = int(settings.get("min_count", 1))
    count = 0
    for proc in psutil.process_iter(["name", "cmdline"]):
        info = proc.info
        cmd = info.get("cmdline") or []
        if info.get("name") == name or (cmd and os.path.basename(cmd[0]) == name):
            count += 1
    status = "ok" if count >= minimum else "critical"
    return Result(status, f"{count} process(es) named {name}", {"count": count})


def check_port(settings: dict[str, Any], timeout: float) -> Result:
    port = int(settings.get("port", 0))
    address = str(settings.get("address") or "127.0.0.1")
    try:
        with socket.create_connection((address, port), timeout=timeout):
            pass
    except OSError as exc:
        return Result("critical", _line(f"nothing listens on {address}:{port} ({exc})"))
    return Result("ok", f"{address}:{port} is listening")


class LogState:
    """Offsets of the log files read so far (``state-dir/logstate.json``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, dict[str, int]] = {}
        if path is not None and path.exists():
            try:
                self.data = json.loads(path.read_text())
            except (OSError, ValueError):
                self.data = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, int] | None:
        return self.data.get(key)

    def set(self, key: str, value: dict[str, int]) -> None:
        with self._lock:
            self.data[key] = value
            if self.path is not None:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self.data))
                tmp.replace(self.path)


def check_log(settings: dict[str, Any], timeout: float, state: LogState, key: str) -> Result:
    """Lines added since the last read that match the pattern. The first read starts at the end
    (old lines are history). A new inode (rotated) or a file shorter than the offset (truncated)
    is read from its start."""
    path = Path(str(settings.get("path", "")))
    pattern = re.compile(str(settings.get("pattern", "")))
    try:
        st = path.stat()
    except OSError as exc:
        return Result("unknown", _line(f"cannot read {path}: {exc.strerror}"))
    seen = state.get(key)
    if seen is None:
        state.set(key, {"inode": st.st_ino, "offset": st.st_size})
        return Result("ok", f"watching {path} from its end", {"matches": 0})
    offset = seen["offset"]
    rotated = seen.get("inode") != st.st_ino or st.st_size < offset
    if rotated:
        offset = 0
    matches = 0
    sample = ""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete = data[: data.rfind(b"\n") + 1]  # a partial last line waits for its end
    for raw in complete.splitlines():
        line = raw.decode("utf-8", "replace")
        if pattern.search(line):
            matches += 1
            sample = sample or line
    state.set(key, {"inode": st.st_ino, "offset": offset + len(complete)})
    status = level(matches, settings.get("warning_count"), settings.get("critical_count", 1))
    summary = f"{matches} new line(s) match in {path}"
    if sample:
        summary += f": {sample}"
    details = {"matches": matches, "rotated": rotated}
    return Result(status, _line(summary), details, [{"label": "matches", "value": matches}])


def check_script(settings: dict[str, Any], timeout: float) -> Result:
    """A Nagios plugin: exit 0/1/2/3 → OK/WARNING/CRITICAL/UNKNOWN (others UNKNOWN); killed at
    the timeout → UNKNOWN; perfdata after ``|`` becomes samples."""
    command = settings.get("command")
    args = command if isinstance(command, list) else ["/bin/sh", "-c", str(command or "")]
    try:
        proc = subprocess.Popen(  # noqa: S603 - running the signed check's plugin is the point
            [str(a) for a in args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return Result("unknown", _line(f"cannot run {args[0]}: {exc.strerror}"))
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.communicate()
        return Result("unknown", f"timed out after {timeout:g} s", {"timed_out": True})
    text = out[:OUTPUT_CAP].decode("utf-8", "replace")
    summary, perf = split_output(text)
    status = NAGIOS.get(proc.returncode, "unknown")
    if proc.returncode not in NAGIOS:
        summary = f"exit code {proc.returncode}: {summary}"
    return Result(status, _line(summary or f"exit code {proc.returncode}"),
                  {"exit_code": proc.returncode}, perf)  # fmt: skip


EVALUATORS: dict[str, Callable[[dict[str, Any], float], Result]] = {
    "agent_metric": check_metric,
    "agent_service": check_service,
    "agent_process": check_process,
    "agent_port": check_port,
    "agent_script": check_script,
}


def evaluate(definition: dict[str, Any], logs: LogState) -> Result:
    kind = definition.get("kind", "")
    settings = dict(definition.get("settings") or {})
    timeout = float(definition.get("timeout_seconds") or 10)
    attempts = int(definition.get("retries") or 0) + 1
    result = Result("unknown", f"unknown kind {kind!r}")
    for _ in range(attempts):
        try:
            if kind == "agent_log":
                return check_log(settings, timeout, logs, str(definition.get("id")))
            evaluator = EVALUATORS.get(kind)
            if evaluator is None:
                return result
            result = evaluator(settings, timeout)
        except Exception as exc:  # one broken check never stops the others
            result = Result("unknown", _line(f"check failed: {exc}"))
        if result.status == "ok":
            break
    return result


_LABEL_SAFE = re.compile(r"[^\x20-\x7e]")


def samples_of(check_id: Any, perf: list[dict[str, Any]], at: float) -> list[dict[str, Any]]:
    t = rfc3339(at)
    return [
        {"t": t, "m": "check.perfdata", "v": p["value"],
         "l": {"check": str(check_id), "label": _LABEL_SAFE.sub("?", p["label"])[:200]}}
        for p in perf
    ]  # fmt: skip


class CheckRunner:
    """Keeps the definitions, runs the due ones every second, queues one batch per pass."""

    def __init__(
        self,
        state_dir: Path | None,
        put: Callable[[dict[str, Any]], None],
        *,
        verify: Callable[[dict[str, Any]], bool],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.path = state_dir / "checks.json" if state_dir else None
        self.logs = LogState(state_dir / "logstate.json" if state_dir else None)
        self.put = put
        self.verify = verify
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self.version: str | None = None
        self.items: list[dict[str, Any]] = []
        self._due: dict[Any, float] = {}
        if self.path is not None and self.path.exists():
            try:
                saved = json.loads(self.path.read_text())
                self._set(saved.get("version"), saved.get("items") or [])
            except (OSError, ValueError, AttributeError):
                log.warning("Ignoring an unreadable %s.", self.path)

    def _set(self, version: str | None, items: list[dict[str, Any]]) -> None:
        now = self._clock()
        with self._lock:
            self.version = version
            self.items = [i for i in items if isinstance(i, dict)]
            due = {}
            for item in self.items:
                interval = max(1.0, float(item.get("interval_seconds") or 60))
                key = item.get("id")
                phase = zlib.crc32(str(key).encode()) % 1000 / 1000 * min(interval, 10.0)
                due[key] = self._due.get(key, now + phase)
            self._due = due

    def configure(self, config: Any) -> None:
        """The ``checks`` block of a batch answer."""
        if not isinstance(config, dict) or not isinstance(config.get("items"), list):
            return
        version = str(config.get("version") or "")
        if version == self.version:
            return
        if not self.verify(config):
            log.error("Refusing local checks %s: not signed by the server for this agent.", version)
            return
        self._set(version, config["items"])
        log.info("Now running %d local check(s) (config %s).", len(self.items), version)
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"version": version, "items": self.items}))
            tmp.replace(self.path)

    def run_due(self) -> int:
        now = self._clock()
        with self._lock:
            due = [i for i in self.items if self._due.get(i.get("id"), now) <= now]
        if not due:
            return 0
        results: list[dict[str, Any]] = []
        samples: list[dict[str, Any]] = []
        for item in due:
            at = self._wall()
            result = evaluate(item, self.logs)
            interval = max(1.0, float(item.get("interval_seconds") or 60))
            with self._lock:
                self._due[item.get("id")] = max(now, self._due.get(item.get("id"), now)) + interval
            results.append(
                {"check_id": item.get("id"), "t": rfc3339(at), "status": result.status,
                 "summary": result.summary, "details": result.details,
                 "perfdata": result.perfdata}
            )  # fmt: skip
            samples.extend(samples_of(item.get("id"), result.perfdata, at))
        self.put(
            {"samples": samples, "inventory": None, "check_results": results, "command_results": []}
        )
        return len(results)

    def loop(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            try:
                self.run_due()
            except Exception:
                log.exception("Running local checks failed; trying again in a second.")
