"""Time from a fault (an HTTP target flips to 500) to the problem firing and to its notification leaving the outbox, on PostgreSQL.

N HTTP checks (default 50, 10 s interval, 5 s timeout, 2 failures and a 10 s hold-down to fire) point at one
server on 127.0.0.1; a real `openmsp serve` (web, worker, scheduler, poller) runs them. Each check
carries its own tag and the route groups by it, so every problem is one webhook message to a
receiver on 127.0.0.1 (group wait 0). Once every check has stored an OK result, the server flips
to 500; measured per problem from that instant: `fired_at` (the lifecycle's firing time) and the
message's `sent_at` (the outbox recorded the receiver's 2xx). p50/p95/max over the N problems.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common


def seed(
    count: int,
    target: str,
    receiver: str,
    interval: int,
    hold_down: int,
    failures: int,
    client: Any = None,
) -> list[int]:
    """*count* HTTP checks of *client* (a new one if None) on *target*, each its own problem
    group, routed to one webhook at *receiver*; their ids."""
    from openmsp.core.actor import Actor
    from openmsp.monitoring import actions as checks
    from openmsp.notifications import actions as notify
    from openmsp.tenants.models import Client

    system = Actor.system("bench")
    if client is None:
        client = Client.objects.create(name="Bench client", code="bench")
    hook = notify.create_channel(
        actor=system, client=client, name="Bench hook", kind="webhook",
        config={"url": receiver}, secret="bench-signing-secret-0001",  # noqa: S106
    )  # fmt: skip
    notify.create_route(
        actor=system, client=client, name="Bench", channels=[hook], is_default=True,
        group_by=["n"], group_wait_seconds=0, group_interval_seconds=5,
    )  # fmt: skip
    made = [
        checks.create_check(
            actor=system,
            client=client,
            name=f"web {i}",
            kind="http",
            target=target,
            interval_seconds=interval,
            timeout_seconds=5,
            tags=[f"n={i}"],
            failures_to_fire=failures,
            hold_down_seconds=hold_down,
        )
        for i in range(count)
    ]
    return [c.pk for c in made]


def wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def seconds_after(fault: dt.datetime, times: list[dt.datetime | None]) -> list[float]:
    return sorted((t - fault).total_seconds() for t in times if t is not None)


def policy_met(
    fault: dt.datetime, check_id: int, failures: int, hold_down: int
) -> dt.datetime | None:
    """When the check's noise policy first allowed firing after the fault: the start of the
    failing run that made both the N-failures and the hold-down true."""
    from openmsp.monitoring.models import CheckResult

    runs = CheckResult.objects.filter(for_check_id=check_id, at__gte=fault).order_by("at")
    failing = [r.at for r in runs.exclude(status="ok")]
    for n, at in enumerate(failing, start=1):
        if n >= failures and at >= failing[0] + dt.timedelta(seconds=hold_down):
            return at
    return None


def measure(
    fault: dt.datetime, check_ids: list[int], failures: int, hold_down: int
) -> dict[str, Any]:
    from openmsp.alerts.models import Problem
    from openmsp.notifications.models import OutboxMessage

    ids = {str(pk) for pk in check_ids}
    fired_problems = [p for p in Problem.objects.filter(source="check") if p.object_id in ids]
    problems = {p.pk: p.fired_at for p in fired_problems}
    met = {p.pk: policy_met(fault, int(p.object_id), failures, hold_down) for p in fired_problems}
    sent: dict[int, dt.datetime | None] = {}
    for message in OutboxMessage.objects.filter(status="sent"):
        for item in message.payload["items"]:
            # "reopened": a check that failed while the server started (shared machine) and
            # recovered before the fault reopens its problem; it is told like "firing".
            if item["problem_id"] in problems and item["kind"] in ("firing", "reopened"):
                sent[item["problem_id"]] = min(
                    filter(None, [sent.get(item["problem_id"]), message.sent_at])
                )
    fired = seconds_after(fault, list(problems.values()))
    left = seconds_after(fault, list(sent.values()))
    # After the policy allowed it: what the pipeline adds to detection (the check's own pace).
    fired_late = sorted(
        (f - m).total_seconds() for k, m in met.items() if m and (f := problems[k]) is not None
    )
    sent_late = sorted(
        (t - m).total_seconds() for k, m in met.items() if m and (t := sent.get(k)) is not None
    )
    return {
        "problems": len(problems),
        "notified": len(left),
        **{f"fired_{k}_s": round(common.percentile(fired, q), 2) for k, q in (("p50", 50), ("p95", 95), ("max", 100))},
        **{f"sent_{k}_s": round(common.percentile(left, q), 2) for k, q in (("p50", 50), ("p95", 95), ("max", 100))},
        **{f"fired_after_policy_{k}_s": round(common.percentile(fired_late, q), 2) for k, q in (("p50", 50), ("p95", 95), ("max", 100))},
        **{f"sent_after_policy_{k}_s": round(common.percentile(sent_late, q), 2) for k, q in (("p50", 50), ("p95", 95), ("max", 100))},
    }  # fmt: skip


def outbox_summary() -> dict[str, Any]:
    """What was there when the wait ended, to tell a slow run from a broken one."""
    from django.db.models import Count

    from openmsp.alerts.models import Problem
    from openmsp.notifications.models import ChangeRecord, OutboxMessage

    def counts(qs: Any, field: str) -> dict[str, int]:
        return {row[field]: row["n"] for row in qs.values(field).annotate(n=Count("pk"))}

    return {
        "problem_states": counts(Problem.objects.all(), "state"),
        "changes": counts(ChangeRecord.objects.all(), "outcome"),
        "outbox": counts(OutboxMessage.objects.all(), "status"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=50)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--hold-down", type=int, default=10)
    parser.add_argument("--failures", type=int, default=2, help="consecutive failures to fire")
    args = parser.parse_args()

    from openmsp.notifications.tests.peers import HttpPeer as Receiver

    with common.scratch_database("openmsp_bench_fault") as url, Receiver() as receiver:
        env = {**os.environ, "OPENMSP_DATABASE_URL": url, "OPENMSP_DATA_DIR": tempfile.mkdtemp(),
               "OPENMSP_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "openmsp.settings"}  # fmt: skip
        os.environ.update(env)
        common.openmsp(["migrate", "-v", "0"], env)
        import django

        django.setup()
        from django.utils import timezone

        from openmsp.monitoring.models import Check
        from openmsp.monitoring.tests.peers import HttpPeer as Target

        target = Target()
        check_ids = seed(
            args.checks, target.url, receiver.url, args.interval, args.hold_down, args.failures
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "openmsp.cli", "serve", "--port", str(common.free_port())],
            env=env, cwd=common.ROOT, start_new_session=True,
        )  # fmt: skip
        try:
            wait(lambda: Check.objects.filter(last_status="ok").count() == args.checks,
                 120, "every check to pass once")  # fmt: skip
            target.status = 500
            fault = timezone.now()
            budget = 3 * args.interval + args.hold_down + 60
            try:
                wait(lambda: measure(fault, check_ids, args.failures, args.hold_down)["notified"] == args.checks, budget,
                     "every problem's notification to be sent")  # fmt: skip
            finally:
                figures = measure(fault, check_ids, args.failures, args.hold_down)
                print(figures, outbox_summary())
        finally:
            server.terminate()
            server.wait(60)
            target.stop()

    result: dict[str, Any] = {
        "scenario": "fault_to_problem",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": common.machine(),
        "args": vars(args),
        **figures,
    }
    path = common.save("fault_to_problem", result)
    for key, value in result.items():
        print(f"{key:20} {value}")
    print(f"(appended to {path})")


if __name__ == "__main__":
    main()
