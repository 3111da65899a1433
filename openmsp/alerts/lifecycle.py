"""The Problem lifecycle as a pure function: (what we know, what was just seen) -> what to do.

No ORM here: `decide()` takes the tracked state of one fingerprint's problem (or None) and one
observation, and returns the new state, the timeline entries and at most one notice
(a ProblemChange kind). openmsp.alerts.actions stores the result.

States: pending -> firing -> acknowledged -> resolved.

- A failing observation opens a *pending* problem; it *fires* after `failures_to_fire`
  consecutive failures AND `hold_down_seconds` of continuous failure.
- An open problem (pending, firing or acknowledged) resolves after `successes_to_recover`
  consecutive OK observations AND `recovery_seconds` of continuous OK. A pending problem that
  recovers resolves silently: nobody was told about it.
- A problem that resolved less than `flap_window_seconds` ago is *reopened* by the next failure
  instead of a new problem being opened, so a fault that comes and goes stays one problem.
- Flapping: every change between OK and failing is a flip; `flap_threshold` flips within
  `flap_window_seconds` make the problem flapping: one "flapping" notice, then no notices (and
  no resolving) until it has been stable for a whole window; then it fires or resolves as usual.
- Severity follows the status: warning or critical. "unknown" (the check could not tell) counts
  as failing, because a check that cannot run is a monitoring gap someone must hear about, but
  only as a warning, and it never lowers an open problem's severity.
- External sources (Alertmanager) decided the state themselves: failing fires at once, OK
  resolves at once, no hold-down, no hysteresis, no flap detection.
- Observations older than the last one seen are ignored (results can arrive out of order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

from openmsp.core.spine import NoisePolicy, Status

State = Literal["pending", "firing", "acknowledged", "resolved"]
Severity = Literal["warning", "critical"]
PENDING: State = "pending"
FIRING: State = "firing"
ACKNOWLEDGED: State = "acknowledged"
RESOLVED: State = "resolved"
OPEN_STATES: tuple[State, ...] = (PENDING, FIRING, ACKNOWLEDGED)


@dataclass(frozen=True)
class Seen:
    """The part of an Observation the lifecycle reads."""

    status: Status
    at: dt.datetime
    external: bool = False

    @property
    def failing(self) -> bool:
        return self.status != "ok"


@dataclass(frozen=True)
class Track:
    """What is kept about one fingerprint's latest problem (the Problem row's lifecycle columns)."""

    state: State
    severity: Severity
    last_status: Status
    last_seen: dt.datetime
    failures: int = 0  # consecutive failing observations
    successes: int = 0  # consecutive OK observations
    failing_since: dt.datetime | None = None
    ok_since: dt.datetime | None = None
    flapping: bool = False
    flips: tuple[dt.datetime, ...] = ()  # recent OK<->failing changes, newest last
    notified: bool = False  # people were told about this episode (a resolve must be told too)
    fired_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    repeat_count: int = 0  # failing observations folded into the open problem
    reopen_count: int = 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class Outcome:
    """What to store and say. `track` None: nothing to store (OK and no problem).

    `created`: a new problem row; `changed`: something a person would care about happened
    (timeline entries in `events`); otherwise only counters moved (one cheap UPDATE).
    """

    track: Track | None
    created: bool = False
    events: tuple[str, ...] = ()
    notice: str | None = None  # a ProblemChange kind: firing, resolved, flapping, reopened
    ignored: bool = False  # stale or no-op: nothing to write at all
    previous: Track | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.events)


def severity_of(status: Status, current: Severity | None = None) -> Severity:
    """critical and warning are measured; unknown says nothing about how bad it is."""
    if status == "critical":
        return "critical"
    if status == "unknown":
        return current or "warning"
    return "warning"


def _seconds(a: dt.datetime | None, b: dt.datetime) -> float:
    return (b - a).total_seconds() if a is not None else 0.0


def should_fire(track: Track, policy: NoisePolicy, at: dt.datetime) -> bool:
    return (
        track.failures >= max(policy.failures_to_fire, 1)
        and _seconds(track.failing_since, at) >= policy.hold_down_seconds
    )


def should_recover(track: Track, policy: NoisePolicy, at: dt.datetime) -> bool:
    return (
        track.successes >= max(policy.successes_to_recover, 1)
        and _seconds(track.ok_since, at) >= policy.recovery_seconds
    )


def reopenable(track: Track, policy: NoisePolicy, at: dt.datetime) -> bool:
    return (
        track.state == RESOLVED
        and track.resolved_at is not None
        and _seconds(track.resolved_at, at) < policy.flap_window_seconds
    )


def _count(track: Track, seen: Seen, policy: NoisePolicy) -> Track:
    """Move the counters: consecutive runs, their start, flips within the window, severity."""
    was_failing = track.last_status != "ok"
    flips = track.flips
    if seen.failing != was_failing:
        flips = (*flips, seen.at)
    window = dt.timedelta(seconds=policy.flap_window_seconds)
    keep = max(policy.flap_threshold, 1)
    flips = tuple(f for f in flips if seen.at - f < window)[-keep:]
    if seen.failing:
        return replace(
            track,
            last_status=seen.status,
            last_seen=seen.at,
            failures=track.failures + 1 if was_failing else 1,
            failing_since=track.failing_since if was_failing else seen.at,
            successes=0,
            ok_since=None,
            flips=flips,
            severity=severity_of(seen.status, track.severity),
            repeat_count=track.repeat_count + (1 if track.is_open else 0),
        )
    return replace(
        track,
        last_status=seen.status,
        last_seen=seen.at,
        successes=track.successes + 1 if not was_failing else 1,
        ok_since=track.ok_since if not was_failing else seen.at,
        failures=0,
        failing_since=None,
        flips=flips,
    )


def _open(seen: Seen) -> Track:
    return Track(
        state=PENDING,
        severity=severity_of(seen.status),
        last_status=seen.status,
        last_seen=seen.at,
        failures=1,
        failing_since=seen.at,
        flips=(seen.at,),  # from OK (or nothing) to failing is a change of state too
    )


def _reopen(track: Track, seen: Seen) -> Track:
    return replace(
        track,
        state=PENDING,
        severity=severity_of(seen.status),
        resolved_at=None,
        notified=False,
        reopen_count=track.reopen_count + 1,
    )


def _fire(track: Track, at: dt.datetime) -> Track:
    return replace(track, state=FIRING, notified=True, fired_at=track.fired_at or at)


def _resolve(track: Track, at: dt.datetime) -> Track:
    return replace(track, state=RESOLVED, resolved_at=at, flapping=False)


def decide(current: Track | None, seen: Seen, policy: NoisePolicy) -> Outcome:
    """The one rule book: see the module docstring."""
    if current is not None and seen.at < current.last_seen:
        return Outcome(current, ignored=True)
    if seen.external:
        return _decide_external(current, seen, policy)
    fresh = current is None or (
        current.state == RESOLVED and not reopenable(current, policy, seen.at)
    )
    if fresh:
        if not seen.failing:
            return Outcome(None, ignored=True)
        return _advance(_open(seen), policy, seen, created=True, events=("opened",))
    assert current is not None
    if current.state == RESOLVED:
        if not seen.failing:
            return Outcome(current, ignored=True)
        reopened = _reopen(_count(current, seen, policy), seen)
        return _advance(reopened, policy, seen, events=("reopened",), previous=current)
    return _advance(_count(current, seen, policy), policy, seen, previous=current)


def _advance(
    track: Track,
    policy: NoisePolicy,
    seen: Seen,
    *,
    created: bool = False,
    events: tuple[str, ...] = (),
    previous: Track | None = None,
) -> Outcome:
    at = seen.at
    window = dt.timedelta(seconds=policy.flap_window_seconds)
    if (
        policy.flap_threshold > 0
        and not track.flapping
        and len(track.flips) >= policy.flap_threshold
    ):
        flapping = replace(track, flapping=True, notified=True, fired_at=track.fired_at or at)
        if flapping.state == PENDING:
            flapping = replace(flapping, state=FIRING)
        return Outcome(flapping, created, (*events, "flapping"), "flapping", previous=previous)
    if track.flapping:
        if track.flips and at - track.flips[-1] < window:
            return Outcome(track, created, events, None, previous=previous)  # quiet
        track = replace(track, flapping=False, flips=())
        events = (*events, "stable")
        if track.state != PENDING and seen.failing:
            # Quiet since the "flapping" notice; now it is steadily failing: say so once.
            notice = "firing" if track.state == FIRING else None
            return Outcome(track, created, events, notice, previous=previous)
    if track.state == PENDING and seen.failing and should_fire(track, policy, at):
        kind = "reopened" if track.reopen_count else "firing"
        return Outcome(_fire(track, at), created, (*events, "fired"), kind, previous=previous)
    if not seen.failing and should_recover(track, policy, at):
        notice = "resolved" if track.notified else None
        return Outcome(
            _resolve(track, at), created, (*events, "resolved"), notice, previous=previous
        )
    if previous is not None and track.severity != previous.severity and seen.failing:
        rose = track.severity == "critical"
        notice = "firing" if rose and track.state == FIRING else None
        return Outcome(track, created, (*events, "severity"), notice, previous=previous)
    return Outcome(track, created, events, None, previous=previous)


def _decide_external(current: Track | None, seen: Seen, policy: NoisePolicy) -> Outcome:
    """Alertmanager already applied its own `for:` and resolve logic: follow it at once."""
    if current is None or current.state == RESOLVED:
        if not seen.failing:
            return Outcome(current, ignored=True)
        track = _fire(_open(seen), seen.at)
        if current is None or not reopenable(current, policy, seen.at):
            return Outcome(track, True, ("opened", "fired"), "firing")
        track = replace(
            track,
            fired_at=current.fired_at or seen.at,
            flips=current.flips,
            reopen_count=current.reopen_count + 1,
            repeat_count=current.repeat_count,
        )
        return Outcome(track, False, ("reopened", "fired"), "reopened", previous=current)
    if seen.failing:
        counted = replace(
            current,
            last_status=seen.status,
            last_seen=seen.at,
            failures=current.failures + 1,
            repeat_count=current.repeat_count + 1,
            severity=severity_of(seen.status, current.severity),
        )
        if current.state == PENDING:
            return Outcome(_fire(counted, seen.at), False, ("fired",), "firing", previous=current)
        events = ("severity",) if counted.severity != current.severity else ()
        return Outcome(counted, False, events, None, previous=current)
    ok = replace(current, last_status=seen.status, last_seen=seen.at, failures=0, successes=1)
    notice = "resolved" if current.notified else None
    return Outcome(_resolve(ok, seen.at), False, ("resolved",), notice, previous=current)
