"""Measure the agent's footprint: run it against the fake server at default intervals and sample it.

    agent/.venv/bin/python agent/scripts/footprint.py [--seconds 180] [--every 5]

With ``--command-at N`` a signed command is queued N seconds in (loading the Ed25519 code).
Prints peak RSS and average CPU (% of one core) of the agent process, plus the CPU its children
(dpkg-query, apt, systemctl … run for inventory) used. Everything runs on 127.0.0.1 and stops by
itself.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--command-at", type=float, default=None, help="queue a command then")
    args = parser.parse_args()

    sys.path.insert(0, str(TESTS))
    from fakeserver import TOKEN, FakeServer  # runs in this process, not in the measured one

    server = FakeServer().start()
    port = server.port
    state = tempfile.mkdtemp(prefix="openmsp-agent-footprint-")
    try:
        command = [
            sys.executable, "-m", "openmsp_agent", "run",
            "--server", f"http://127.0.0.1:{port}", "--token", TOKEN, "--state-dir", state,
        ]  # fmt: skip
        agent = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603
        process = psutil.Process(agent.pid)
        started = time.monotonic()
        peak_rss, samples, cpu_samples = 0, [], []
        process.cpu_percent(interval=None)
        command_at = args.command_at
        while time.monotonic() - started < args.seconds:
            time.sleep(args.every)
            if command_at is not None and time.monotonic() - started >= command_at:
                server.queue_command(next(iter(server.state.agents)), "uname -a")
                command_at = None
            rss = process.memory_info().rss
            peak_rss = max(peak_rss, rss)
            samples.append(rss)
            cpu_samples.append(process.cpu_percent(interval=None))
        elapsed = time.monotonic() - started
        times = process.cpu_times()
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
    finally:
        server.stop()
    result = {
        "command": " ".join(command[2:]),
        "seconds": round(elapsed, 1),
        "samples": len(samples),
        "peak_rss_mib": round(peak_rss / 2**20, 1),
        "final_rss_mib": round(samples[-1] / 2**20, 1),
        "avg_cpu_percent_of_one_core": round(sum(cpu_samples) / len(cpu_samples), 3),
        "avg_cpu_percent_including_startup": round(100 * (times.user + times.system) / elapsed, 3),
        "peak_5s_cpu_percent": max(cpu_samples),
        "children_cpu_seconds": round(times.children_user + times.children_system, 2),
        "agent_exit_code": agent.returncode,
        "batches_received": len(server.state.batches),
        "command_results_received": len(server.state.results),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
