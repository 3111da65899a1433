"""The lifecycle's rule book, without a database: hold-down, consecutive failures, recovery
hysteresis, reopening, flapping, severity, external sources, stale results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from openmsp.alerts.lifecycle import Outcome, Seen, Track, decide, severity_of
from openmsp.core.spine import NoisePolicy

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def run(policy: NoisePolicy, steps: Sequence[tuple[float, str]], *, external: bool = False):
    """Feed observations in order; return the final track and every outcome."""
    track: Track | None = None
    outcomes: list[Outcome] = []
    for seconds, status in steps:
        outcome = decide(track, Seen(status, at(seconds), external), policy)  # type: ignore[arg-type]
        outcomes.append(outcome)
        if not outcome.ignored and outcome.track is not None:
            track = outcome.track
    return track, outcomes


def notices(outcomes: list[Outcome]) -> list[str]:
    return [o.notice for o in outcomes if o.notice]


def test_a_single_failure_fires_at_once_with_the_default_policy():
    track, outcomes = run(NoisePolicy(), [(0, "critical")])
    assert track is not None
    assert track.state == "firing"
    assert outcomes[0].created
    assert outcomes[0].events == ("opened", "fired")
    assert notices(outcomes) == ["firing"]


def test_an_ok_result_with_no_problem_stores_nothing():
    track, outcomes = run(NoisePolicy(), [(0, "ok"), (60, "ok")])
    assert track is None
    assert all(o.ignored for o in outcomes)


def test_it_waits_for_n_consecutive_failures_before_firing():
    policy = NoisePolicy(failures_to_fire=3)
    track, outcomes = run(policy, [(0, "critical"), (60, "critical")])
    assert track is not None
    assert track.state == "pending"
    assert notices(outcomes) == []
    track, outcomes = run(policy, [(0, "critical"), (60, "critical"), (120, "critical")])
    assert track is not None
    assert track.state == "firing"
    assert notices(outcomes) == ["firing"]


def test_an_ok_between_failures_restarts_the_count():
    policy = NoisePolicy(failures_to_fire=3, successes_to_recover=2)
    steps = [(0, "critical"), (60, "critical"), (120, "ok"), (180, "critical"), (240, "critical")]
    track, outcomes = run(policy, steps)
    assert track is not None
    assert track.state == "pending"
    assert track.failures == 2
    assert notices(outcomes) == []


def test_hold_down_needs_the_failure_to_last_the_whole_duration():
    policy = NoisePolicy(hold_down_seconds=120)
    track, _ = run(policy, [(0, "critical"), (60, "critical"), (119, "critical")])
    assert track is not None
    assert track.state == "pending"
    track, outcomes = run(policy, [(0, "critical"), (60, "critical"), (120, "critical")])
    assert track is not None
    assert track.state == "firing"
    assert track.fired_at == at(120)
    assert notices(outcomes) == ["firing"]


def test_both_knobs_must_hold_failures_and_duration():
    policy = NoisePolicy(failures_to_fire=3, hold_down_seconds=30)
    track, _ = run(policy, [(0, "critical"), (40, "critical")])
    assert track is not None
    assert track.state == "pending"
    track, _ = run(policy, [(0, "critical"), (10, "critical"), (20, "critical")])
    assert track is not None
    assert track.state == "pending"
    track, _ = run(policy, [(0, "critical"), (10, "critical"), (30, "critical")])
    assert track is not None
    assert track.state == "firing"


def test_a_pending_problem_that_recovers_resolves_without_telling_anyone():
    track, outcomes = run(NoisePolicy(failures_to_fire=2), [(0, "critical"), (60, "ok")])
    assert track is not None
    assert track.state == "resolved"
    assert notices(outcomes) == []
    assert not track.notified


def test_recovery_needs_n_successes_and_a_duration():
    policy = NoisePolicy(successes_to_recover=2, recovery_seconds=120)
    fail = [(0, "critical")]
    track, _ = run(policy, [*fail, (60, "ok"), (120, "ok")])
    assert track is not None
    assert track.state == "firing"
    track, _ = run(policy, [*fail, (60, "ok"), (180, "ok")])
    assert track is not None
    assert track.state == "resolved"
    assert track.resolved_at == at(180)
    track, outcomes = run(policy, [*fail, (60, "ok"), (200, "critical"), (260, "ok"), (400, "ok")])
    assert track is not None
    assert track.state == "resolved"
    assert track.resolved_at == at(400)
    assert notices(outcomes) == ["firing", "resolved"]


def test_a_failure_soon_after_resolving_reopens_the_same_problem():
    policy = NoisePolicy(flap_window_seconds=600)
    track, outcomes = run(policy, [(0, "critical"), (60, "ok"), (300, "critical")])
    assert track is not None
    assert track.state == "firing"
    assert track.reopen_count == 1
    assert not outcomes[2].created
    assert outcomes[2].events == ("reopened", "fired")
    assert notices(outcomes) == ["firing", "resolved", "reopened"]


def test_a_failure_long_after_resolving_opens_a_new_problem():
    policy = NoisePolicy(flap_window_seconds=600)
    _track, outcomes = run(policy, [(0, "critical"), (60, "ok"), (660, "critical")])
    assert outcomes[2].created
    assert outcomes[2].events == ("opened", "fired")


def test_repeats_are_counted_not_duplicated():
    track, outcomes = run(NoisePolicy(), [(0, "critical"), (60, "critical"), (120, "critical")])
    assert track is not None
    assert track.repeat_count == 2
    assert [o.created for o in outcomes] == [True, False, False]
    assert [o.changed for o in outcomes] == [True, False, False]  # counters only


def flapping_steps(n: int, every: float = 60) -> list[tuple[float, str]]:
    return [(i * every, "critical" if i % 2 == 0 else "ok") for i in range(n)]


def test_a_flapping_check_sends_one_flapping_notice_then_stays_quiet():
    policy = NoisePolicy(flap_threshold=4, flap_window_seconds=1800)
    track, outcomes = run(policy, flapping_steps(20))
    assert track is not None
    assert track.flapping
    assert track.state == "firing"
    assert notices(outcomes) == ["firing", "resolved", "reopened", "flapping"]


def test_a_flapping_problem_resolves_once_stable_for_a_whole_window():
    policy = NoisePolicy(flap_threshold=4, flap_window_seconds=600)
    steps = [*flapping_steps(9), (540, "ok"), (1000, "ok"), (1139, "ok")]
    track, _ = run(policy, steps)
    assert track is not None
    assert track.flapping
    track, outcomes = run(policy, [*steps, (1140, "ok")])  # stable for a whole window
    assert track is not None
    assert track.state == "resolved"
    assert not track.flapping
    assert notices(outcomes)[-2:] == ["flapping", "resolved"]


def test_a_flapping_problem_that_settles_failing_fires_again_once():
    policy = NoisePolicy(flap_threshold=3, flap_window_seconds=600)
    steps = [*flapping_steps(8), (480, "critical"), (900, "critical"), (1100, "critical")]
    track, outcomes = run(policy, steps)
    assert track is not None
    assert track.state == "firing"
    assert not track.flapping
    assert notices(outcomes)[-2:] == ["flapping", "firing"]


def test_flap_detection_turns_a_never_firing_pending_problem_into_one_notice():
    # Three failures in a row never happen, yet the service is clearly unwell.
    policy = NoisePolicy(failures_to_fire=3, flap_threshold=5, flap_window_seconds=3600)
    track, outcomes = run(policy, flapping_steps(12))
    assert notices(outcomes) == ["flapping"]
    assert track is not None
    assert track.state == "firing"
    assert track.flapping


def test_severity_follows_the_status_and_unknown_is_a_warning():
    assert severity_of("critical") == "critical"
    assert severity_of("warning") == "warning"
    assert severity_of("unknown") == "warning"
    assert severity_of("unknown", "critical") == "critical"
    assert severity_of("warning", "critical") == "warning"


def test_a_warning_rising_to_critical_is_told_again_and_falling_back_is_not():
    track, outcomes = run(NoisePolicy(), [(0, "warning"), (60, "critical"), (120, "warning")])
    assert track is not None
    assert track.severity == "warning"
    assert notices(outcomes) == ["firing", "firing"]
    assert outcomes[1].events == ("severity",)
    assert outcomes[2].events == ("severity",)


def test_unknown_counts_as_failing_but_keeps_an_open_problems_severity():
    track, _ = run(NoisePolicy(), [(0, "critical"), (60, "unknown")])
    assert track is not None
    assert track.state == "firing"
    assert track.severity == "critical"
    track, _ = run(NoisePolicy(), [(0, "unknown")])
    assert track is not None
    assert track.state == "firing"
    assert track.severity == "warning"


def test_an_older_result_arriving_late_is_ignored():
    track, outcomes = run(NoisePolicy(), [(60, "critical"), (30, "ok")])
    assert track is not None
    assert track.state == "firing"
    assert outcomes[1].ignored


def test_external_alerts_fire_and_resolve_at_once_whatever_the_knobs():
    policy = NoisePolicy(failures_to_fire=5, hold_down_seconds=600, successes_to_recover=3)
    track, outcomes = run(policy, [(0, "critical"), (60, "critical"), (120, "ok")], external=True)
    assert track is not None
    assert track.state == "resolved"
    assert notices(outcomes) == ["firing", "resolved"]
    assert track.repeat_count == 1


def test_an_acknowledged_problem_stays_acknowledged_until_it_recovers():
    track, _ = run(NoisePolicy(), [(0, "critical")])
    assert track is not None
    acked = replace(track, state="acknowledged")
    outcome = decide(acked, Seen("critical", at(60)), NoisePolicy())
    assert outcome.track is not None
    assert outcome.track.state == "acknowledged"
    assert outcome.notice is None
    outcome = decide(outcome.track, Seen("ok", at(120)), NoisePolicy())
    assert outcome.track is not None
    assert outcome.track.state == "resolved"
    assert outcome.notice == "resolved"


# --- Properties over any sequence ---------------------------------------------------------------

policies = st.builds(
    NoisePolicy,
    failures_to_fire=st.integers(1, 4),
    hold_down_seconds=st.sampled_from([0, 30, 120]),
    successes_to_recover=st.integers(1, 3),
    recovery_seconds=st.sampled_from([0, 60, 300]),
    flap_threshold=st.sampled_from([0, 3, 6]),
    flap_window_seconds=st.sampled_from([300, 3600]),
)
sequences = st.lists(
    st.tuples(st.integers(1, 400), st.sampled_from(["ok", "warning", "critical", "unknown"])),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, raw=sequences)
def test_any_sequence_keeps_the_rule_book(policy: NoisePolicy, raw: list[tuple[int, str]]):
    t, steps = 0.0, []
    for gap, status in raw:
        t += gap
        steps.append((t, status))
    track: Track | None = None
    run_start: float | None = None  # start of the current run of failures
    run_length = 0
    ok_start: float | None = None
    ok_length = 0
    flapping_quiet = False
    told = False
    for seconds, status in steps:
        outcome = decide(track, Seen(status, at(seconds)), policy)  # type: ignore[arg-type]
        failing = status != "ok"
        if failing:
            run_start = seconds if run_length == 0 else run_start
            run_length, ok_length, ok_start = run_length + 1, 0, None
        else:
            ok_start = seconds if ok_length == 0 else ok_start
            ok_length, run_length, run_start = ok_length + 1, 0, None
        if outcome.notice in ("firing", "reopened") and "fired" in outcome.events:
            assert run_length >= policy.failures_to_fire
            assert run_start is not None
            assert seconds - run_start >= policy.hold_down_seconds
        if "resolved" in outcome.events:
            assert ok_length >= policy.successes_to_recover
            assert ok_start is not None
            assert seconds - ok_start >= policy.recovery_seconds
            assert not outcome.track.flapping  # type: ignore[union-attr]
        if outcome.notice == "resolved":
            assert told, "a resolve is only told after the problem was told"
        if flapping_quiet and outcome.notice is not None:
            assert "stable" in outcome.events or outcome.notice == "flapping"
        if outcome.notice:
            told = outcome.notice != "resolved"
        if outcome.track is not None and not outcome.ignored:
            track = outcome.track
            flapping_quiet = track.flapping
            if policy.flap_threshold == 0:
                assert not track.flapping
