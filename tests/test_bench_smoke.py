"""`scripts/bench reference` at a tiny scale for 30 s, so the benchmark cannot rot: every part of
the load runs against the real processes, and what it measured is stored and consistent.

PostgreSQL only (the benchmark makes its own scratch database on the server of
OPENMSP_DATABASE_URL); the figures themselves are not asserted (a shared machine decides them),
only that each was measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT

pytestmark = pytest.mark.slow

PG_URL = os.environ.get("OPENMSP_DATABASE_URL", "")


@pytest.mark.skipif(
    not PG_URL.startswith("postgres"), reason="the benchmark runs on PostgreSQL only"
)
def test_reference_load_runs_every_part_and_records_consistent_figures(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENMSP_DATABASE_URL", "OPENMSP_DB_POOL_SIZE")}  # fmt: skip
    env["OPENMSP_BENCH_PG_URL"] = PG_URL.rsplit("/", 1)[0]
    env["OPENMSP_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "bench/reference.py", "--scale", "0.01", "--duration", "30",
         "--web-users", "3", "--results", str(tmp_path)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = (tmp_path / "reference.jsonl").read_text().splitlines()
    assert len(lines) == 1
    r = json.loads(lines[0])

    assert r["scenario"] == "reference"
    assert r["counts"]["agents"] == 20
    assert r["counts"]["tickets"] == 1000
    # Ingest and pings: something acknowledged, and exactly that stored.
    assert r["samples_per_s"] > 0
    assert r["samples_stored_exactly_once"] is True
    assert r["pings_per_s"] > 0
    assert r["pings_stored_exactly_once"] is True
    assert r["bytes_per_stored_sample"] > 0
    assert r["database_bytes_after"] > r["database_bytes_before"]
    # Checks ran on the poller and were measured; the poller's /metrics was scraped.
    assert r["checks"]["runs_measured"] > 0
    assert r["checks"]["lag_p99_ms"] is not None
    assert r["poller_lag_p99_scrapes"] >= 1
    # The fault fired every fault check's problem and each was notified.
    fault = r["fault"]
    assert fault["problems"] == r["counts"]["fault_checks"] == fault["notified"], fault
    # Web users browsed pages and API lists, integrations reported, tickets moved: no 5xx.
    assert r["web_users"] == 3
    assert r["ui_api_requests"] > 0
    statuses = [int(s) for b in r["browsing"].values() for s in b["statuses"]]
    statuses += [int(s) for s in r["interface_reports"]]
    statuses += [int(s) for a in r["ticket_activity"].values() for s in a["statuses"]]
    assert statuses
    assert all(s < 500 for s in statuses), statuses
    # Every process was measured; every goal has a verdict, printed PASS or FAIL.
    for name in ("web", "worker", "scheduler", "poller", "postgres"):
        assert r["processes"][name]["rss_mib_max"] > 0, name
    assert {g["goal"] for g in r["goals"]}
    assert all(g["met"] in (True, False) for g in r["goals"])
    assert "PASS" in done.stdout or "FAIL" in done.stdout
