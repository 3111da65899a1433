"""What pings do to a heartbeat, what the late detector does with silence, and what each
observes for the Problem lifecycle (through the spine, read with a collecting sink)."""

from __future__ import annotations

import datetime as dt

from openmsp.core.actor import Actor
from openmsp.heartbeats import actions, ping_actions
from openmsp.heartbeats.models import BODY_LIMIT, Heartbeat, Ping
from openmsp.heartbeats.tests.conftest import T0, fresh, make_heartbeat, ping

SYSTEM = Actor.system("test")
M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def test_the_first_success_brings_a_new_heartbeat_up_with_a_deadline_and_observes_nothing(
    backup_job, observed
):
    assert backup_job.state == Heartbeat.State.NEW
    assert backup_job.alert_after is None
    ping(backup_job, at=T0)
    hb = fresh(backup_job)
    assert hb.state == Heartbeat.State.UP
    assert hb.last_ping_at == hb.last_success_at == T0
    assert hb.alert_after == T0 + 70 * M  # an hour's period plus ten minutes' grace
    assert observed == []


def test_a_silent_heartbeat_goes_late_once_its_deadline_passes_and_is_observed_once(
    backup_job, observed
):
    ping(backup_job, at=T0)
    assert ping_actions.detect_late(now=T0 + 69 * M) == []
    assert ping_actions.detect_late(now=T0 + 70 * M) == [(backup_job.pk, "late")]
    hb = fresh(backup_job)
    assert hb.state == Heartbeat.State.LATE
    assert hb.alert_after is None
    assert observed.rules() == [("late", "critical")]
    late = observed[0]
    assert (late.source, late.object_type, late.object_id) == (
        "heartbeat",
        "heartbeats.heartbeat",
        str(backup_job.pk),
    )
    assert late.client_id == backup_job.client_id
    assert late.fingerprint == f"heartbeat:heartbeats.heartbeat:{backup_job.pk}:late"
    # A second detector (or the next run) finds nothing more to do.
    assert ping_actions.detect_late(now=T0 + 2 * H) == []
    assert len(observed) == 1


def test_a_ping_after_being_late_brings_it_back_and_clears_late(backup_job, observed):
    ping(backup_job, at=T0)
    ping_actions.detect_late(now=T0 + 71 * M)
    ping(backup_job, at=T0 + 80 * M)
    hb = fresh(backup_job)
    assert hb.state == Heartbeat.State.UP
    assert hb.open_rules == []
    assert hb.alert_after == T0 + 150 * M
    assert observed.rules() == [("late", "critical"), ("late", "ok")]


def test_a_detector_that_read_a_deadline_before_a_ping_moved_it_loses_its_claim(
    backup_job, observed
):
    ping(backup_job, at=T0)
    stale = fresh(backup_job)  # what a slow detector read
    ping(backup_job, at=T0 + 69 * M)
    assert ping_actions._claim(stale, T0 + 71 * M) is None
    assert fresh(backup_job).state == Heartbeat.State.UP
    assert observed == []


def test_a_run_from_start_to_success_is_timed(backup_job):
    ping(backup_job, Ping.Kind.START, at=T0)
    assert fresh(backup_job).state == Heartbeat.State.RUNNING
    done = ping(backup_job, at=T0 + dt.timedelta(seconds=95))
    assert done is not None
    assert done.duration == dt.timedelta(seconds=95)
    hb = fresh(backup_job)
    assert hb.last_duration == dt.timedelta(seconds=95)
    assert hb.last_start_at is None
    # Without a start, a success has no run time.
    again = ping(backup_job, at=T0 + H)
    assert again is not None
    assert again.duration is None


def test_a_failure_is_observed_critical_with_its_exit_status_and_a_success_clears_it(
    backup_job, observed
):
    ping(backup_job, Ping.Kind.START, at=T0)
    failed = ping(backup_job, Ping.Kind.FAIL, at=T0 + M, exit_status=3)
    assert failed is not None
    assert failed.kind == Ping.Kind.FAIL
    assert failed.duration == M
    hb = fresh(backup_job)
    assert hb.state == Heartbeat.State.FAILED
    assert hb.alert_after is None
    assert observed.rules() == [("failed", "critical")]
    assert "exit status 3" in observed[0].summary
    ping(backup_job, at=T0 + H, exit_status=0)
    assert fresh(backup_job).state == Heartbeat.State.UP
    assert observed.rules() == [("failed", "critical"), ("failed", "ok")]


def test_a_job_that_runs_past_its_limit_is_observed_too_long_then_late_if_it_never_ends(
    client_a, observed
):
    hb = make_heartbeat(client_a, period_seconds=3600, grace_seconds=600, max_run_seconds=1800)
    ping(hb, Ping.Kind.START, at=T0)
    assert fresh(hb).alert_after == T0 + 30 * M
    assert ping_actions.detect_late(now=T0 + 31 * M) == [(hb.pk, "too_long")]
    running = fresh(hb)
    assert running.state == Heartbeat.State.RUNNING
    assert running.alert_after == T0 + 70 * M  # still expected to finish by its schedule
    assert observed.rules() == [("too_long", "warning")]
    assert ping_actions.detect_late(now=T0 + 71 * M) == [(hb.pk, "late")]
    assert observed.rules() == [("too_long", "warning"), ("late", "critical")]


def test_a_long_run_that_finishes_stays_too_long_until_a_run_keeps_to_the_limit(client_a, observed):
    hb = make_heartbeat(client_a, period_seconds=3600, grace_seconds=600, max_run_seconds=1800)
    ping(hb, Ping.Kind.START, at=T0)
    ping(hb, at=T0 + 40 * M)
    assert observed.rules() == [("too_long", "warning")]
    ping(hb, Ping.Kind.START, at=T0 + H)
    ping(hb, at=T0 + H + 5 * M)
    assert observed.rules() == [("too_long", "warning"), ("too_long", "ok")]


def test_a_run_that_finishes_too_fast_warns_and_a_normal_run_clears_it(client_a, observed):
    hb = make_heartbeat(client_a, period_seconds=3600, min_run_seconds=60)
    ping(hb, Ping.Kind.START, at=T0)
    ping(hb, at=T0 + dt.timedelta(seconds=5))
    assert observed.rules() == [("too_fast", "warning")]
    ping(hb, Ping.Kind.START, at=T0 + H)
    ping(hb, at=T0 + H + 2 * M)
    assert observed.rules() == [("too_fast", "warning"), ("too_fast", "ok")]


def test_successes_closer_than_the_minimum_interval_are_too_often(client_a, observed):
    hb = make_heartbeat(client_a, period_seconds=3600, min_interval_seconds=3000)
    ping(hb, at=T0)
    ping(hb, at=T0 + 10 * M)
    assert observed.rules() == [("too_often", "warning")]
    ping(hb, at=T0 + 70 * M)
    assert observed.rules() == [("too_often", "warning"), ("too_often", "ok")]


def test_a_start_on_a_late_heartbeat_clears_late_and_expects_the_run_to_finish(
    backup_job, observed
):
    ping(backup_job, at=T0)
    ping_actions.detect_late(now=T0 + 2 * H)
    ping(backup_job, Ping.Kind.START, at=T0 + 3 * H)
    hb = fresh(backup_job)
    assert hb.state == Heartbeat.State.RUNNING
    assert hb.alert_after == T0 + 4 * H + 10 * M
    assert observed.rules() == [("late", "critical"), ("late", "ok")]


def test_a_cron_heartbeat_is_due_at_its_next_cron_time_in_its_zone_plus_grace(client_a):
    hb = make_heartbeat(
        client_a, kind="cron", cron="30 2 * * *", time_zone="Asia/Seoul", grace_seconds=900
    )
    ping(hb, at=T0)  # 09:00 KST
    assert fresh(hb).alert_after == dt.datetime(2026, 3, 2, 17, 45, tzinfo=dt.UTC)


def test_a_paused_heartbeat_logs_pings_but_judges_and_observes_nothing(backup_job, observed):
    ping(backup_job, at=T0)
    ping_actions.detect_late(now=T0 + 2 * H)
    actions.pause_heartbeat(actor=SYSTEM, heartbeat=backup_job)
    assert observed.rules() == [("late", "critical"), ("late", "ok")]
    ping(backup_job, Ping.Kind.FAIL, at=T0 + 3 * H)
    hb = fresh(backup_job)
    assert hb.paused
    assert hb.alert_after is None
    assert hb.state == Heartbeat.State.UP
    assert hb.last_ping_at == T0 + 3 * H
    assert hb.pings.count() == 2
    assert ping_actions.detect_late(now=T0 + 30 * H) == []
    assert len(observed) == 2
    actions.resume_heartbeat(actor=SYSTEM, heartbeat=backup_job)
    assert fresh(backup_job).alert_after is not None


def test_a_log_ping_is_kept_but_changes_nothing(backup_job, observed):
    ping(backup_job, at=T0)
    ping(backup_job, Ping.Kind.LOG, at=T0 + M, body=b"42 rows exported")
    hb = fresh(backup_job)
    assert hb.last_ping_at == T0
    assert hb.alert_after == T0 + 70 * M
    assert hb.pings.get(kind=Ping.Kind.LOG).body == "42 rows exported"


def test_a_large_body_is_kept_up_to_the_limit_and_flagged(backup_job):
    body = ("가" * BODY_LIMIT).encode()  # three bytes a character: cut mid-character
    stored = ping(backup_job, at=T0, body=body, method="POST")
    assert stored is not None
    assert stored.body_truncated
    assert len(stored.body.encode()) <= BODY_LIMIT + 3
    small = ping(backup_job, at=T0 + M, body=b"ok\x00done", method="POST")
    assert small is not None
    assert not small.body_truncated
    assert small.body == "okdone"


def test_an_unknown_key_stores_nothing(backup_job):
    import uuid

    signal = ping_actions.Signal(kind=Ping.Kind.SUCCESS, at=T0)
    assert ping_actions.record_ping(uuid.uuid4(), signal) is None
    assert Ping.objects.count() == 0


def test_deleting_a_heartbeat_clears_its_open_problems(backup_job, observed):
    ping(backup_job, at=T0)
    ping_actions.detect_late(now=T0 + 2 * H)
    actions.delete_heartbeat(actor=SYSTEM, heartbeat=backup_job)
    assert observed.rules() == [("late", "critical"), ("late", "ok")]
    assert not Heartbeat.objects.filter(pk=backup_job.pk).exists()


def test_the_ping_log_keeps_the_newest_pings_of_each_heartbeat(backup_job, client_a, monkeypatch):
    monkeypatch.setattr(ping_actions, "KEEP_PINGS", 5)
    monkeypatch.setattr(ping_actions, "PRUNE_EVERY", 4)
    other = make_heartbeat(client_a, "other job")
    for i in range(3):
        ping(other, at=T0 + i * M)
    for i in range(12):
        ping(backup_job, at=T0 + i * M)
    kept = list(fresh(backup_job).pings.order_by("at").values_list("at", flat=True))
    # pruned at the 4th, 8th and 12th ping, each time down to the newest five
    assert kept == [T0 + i * M for i in range(7, 12)]
    assert other.pings.count() == 3
