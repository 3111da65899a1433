"""The service-desk SLA clock engine: pure functions over a ticket's event history.

No ORM, no Django. Callers turn stored ticket events into the frozen dataclasses below, pass the
policy in force at creation (a target and a business calendar per clock) and `now`, and get one
`ClockResult` per clock. All working-time arithmetic is `openmsp.tenants.calendar`'s. See
docs/sla-engine.md for the semantics; in short:

* first_response starts at creation and is satisfied by the first staff public reply.
* next_response starts at each customer message that follows a staff public reply (while it is
  not already running) and is satisfied by the next staff public reply.
* resolution starts at creation, stops at `Resolved`; `Reopened` continues it with the time
  already used kept.
* A status change carries the set of clocks the NEW status pauses; only those stop counting.
* `PolicyChanged` swaps targets/calendars from that instant on: time already used (measured on
  the calendar in force while it was used) is kept; the new target applies to the total.
* A clock is breached when its used working time exceeds its target; stopping AT the due instant
  is met. Once a clock stops, met/breached is frozen.
* Timestamps are truncated to whole seconds, so the arithmetic is exact in integer seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from openmsp.tenants.calendar import CalendarSpec, add_working_seconds, working_seconds_between

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"
CLOCKS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)

State = Literal["running", "paused", "met", "breached", "stopped", "not_applicable"]


class SlaError(ValueError):
    pass


def _utc(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise SlaError(f"naive datetime {value.isoformat()}; pass an aware one")
    return value.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ClockPolicy:
    target_seconds: int
    calendar: CalendarSpec

    def __post_init__(self) -> None:
        if self.target_seconds < 0:
            raise SlaError("target_seconds must not be negative")


Policy = Mapping[str, ClockPolicy]


@dataclass(frozen=True)
class Created:
    at: datetime


@dataclass(frozen=True)
class StatusChanged:
    at: datetime
    pauses: frozenset[str] = frozenset()  # the clocks the NEW status pauses


@dataclass(frozen=True)
class CustomerMessage:
    at: datetime


@dataclass(frozen=True)
class StaffPublicReply:
    at: datetime


@dataclass(frozen=True)
class Resolved:
    at: datetime


@dataclass(frozen=True)
class Reopened:
    at: datetime


@dataclass(frozen=True)
class PolicyChanged:
    at: datetime
    policy: Policy = field(default_factory=dict)  # clocks missing here keep their policy


Event = (
    Created
    | StatusChanged
    | CustomerMessage
    | StaffPublicReply
    | Resolved
    | Reopened
    | PolicyChanged
)


@dataclass(frozen=True)
class ClockResult:
    clock: str
    state: State
    target_seconds: int | None
    elapsed_seconds: int  # working seconds used up to now (or up to the stop)
    remaining_seconds: int | None  # target - elapsed; negative when breached
    due: datetime | None  # None while paused, stopped or not applicable; breach instant if past
    started_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None  # the instant used time passed the target, if it has
    met: bool | None  # frozen once stopped: True met, False breached, None undecided
    cycles: int = 0  # how many times the clock has started (next_response restarts)
    # For escalation arithmetic: the clock's calendar and the last instant it resumed counting.
    calendar: CalendarSpec | None = None
    resumed_at: datetime | None = None
    used_at_resume: int = 0


@dataclass
class _Clock:
    name: str
    policy: ClockPolicy | None
    active: bool = False  # started and not stopped
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    used: int = 0
    breached_at: datetime | None = None
    met: bool | None = None
    stopped_reason: State | None = None
    cycles: int = 0


class SlaEngine:
    """Fold ticket events in time order; `snapshot(now)` reports the clocks at `now`."""

    def __init__(self, policy: Policy) -> None:
        self._clocks = {name: _Clock(name, policy.get(name)) for name in CLOCKS}
        self._pauses: frozenset[str] = frozenset()
        self._last: datetime | None = None
        self._replied = False
        self._created = False

    # -- time passing ---------------------------------------------------------------------------
    def _counting(self, clock: _Clock) -> bool:
        return clock.active and clock.name not in self._pauses and clock.policy is not None

    def _advance(self, clock: _Clock, until: datetime) -> None:
        """Add the working time of [self._last, until] to a counting clock; note a breach."""
        if self._last is None or not self._counting(clock) or until <= self._last:
            return
        assert clock.policy is not None
        spec, target = clock.policy.calendar, clock.policy.target_seconds
        if clock.breached_at is None:
            room = target - clock.used
            crossing = add_working_seconds(spec, self._last, max(room, 0))
            # Breach is strictly past the target: the first instant after `crossing` that adds
            # working time. If [crossing, until] has working time, the clock breached there.
            if crossing < until and working_seconds_between(spec, crossing, until) > 0:
                clock.breached_at = crossing
        clock.used += working_seconds_between(spec, self._last, until)

    def feed(self, event: Event) -> None:
        at = _utc(event.at)
        if self._last is not None and at < self._last:
            raise SlaError("events must be fed in time order")
        if not self._created and not isinstance(event, Created):
            raise SlaError("the first event must be Created")
        for clock in self._clocks.values():
            self._advance(clock, at)
        self._last = at
        fr, nr, res = (self._clocks[name] for name in CLOCKS)
        if isinstance(event, Created):
            if self._created:
                raise SlaError("Created twice")
            self._created = True
            self._start(fr, at)
            self._start(res, at)
        elif isinstance(event, StatusChanged):
            unknown = set(event.pauses) - set(CLOCKS)
            if unknown:
                raise SlaError(f"unknown clocks {sorted(unknown)}")
            self._pauses = frozenset(event.pauses)
        elif isinstance(event, CustomerMessage):
            if self._replied and not nr.active and res.active:
                nr.used, nr.breached_at, nr.met, nr.stopped_at = 0, None, None, None
                self._start(nr, at)
        elif isinstance(event, StaffPublicReply):
            self._replied = True
            for clock in (fr, nr):
                if clock.active:
                    self._stop(clock, at, "met")
        elif isinstance(event, Resolved):
            for clock in (fr, nr):
                if clock.active:
                    self._stop(clock, at, "stopped")
            if res.active:
                self._stop(res, at, "met")
        elif isinstance(event, Reopened):
            if not res.active and res.started_at is not None:
                res.active, res.stopped_at, res.met, res.stopped_reason = True, None, None, None
        elif isinstance(event, PolicyChanged):
            for name, new in event.policy.items():
                if name not in self._clocks:
                    raise SlaError(f"unknown clock {name!r}")
                self._clocks[name].policy = new
                self._recheck_breach(self._clocks[name], at)

    def _recheck_breach(self, clock: _Clock, at: datetime) -> None:
        # A lowered target that the time already used exceeds breaches the clock at the change.
        if clock.policy and clock.breached_at is None and clock.used > clock.policy.target_seconds:
            clock.breached_at = at

    def _start(self, clock: _Clock, at: datetime) -> None:
        clock.active, clock.started_at, clock.cycles = True, at, clock.cycles + 1
        clock.stopped_reason = None

    def _stop(self, clock: _Clock, at: datetime, reason: State) -> None:
        clock.active, clock.stopped_at = False, at
        if clock.breached_at is not None:
            clock.met, clock.stopped_reason = False, "breached"
        elif reason == "met":
            clock.met, clock.stopped_reason = True, "met"
        else:
            clock.met, clock.stopped_reason = None, "stopped"

    # -- reporting ------------------------------------------------------------------------------
    def snapshot(self, now: datetime) -> dict[str, ClockResult]:
        moment = _utc(now)
        if self._last is not None and moment < self._last:
            raise SlaError("now is before the last event")
        return {name: self._report(clock, moment) for name, clock in self._clocks.items()}

    def _report(self, clock: _Clock, now: datetime) -> ClockResult:
        # Built from one dict rather than dataclasses.replace() of a base result: the deadline
        # job reports three clocks for each of thousands of tickets per run.
        policy = clock.policy
        target = policy.target_seconds if policy else None
        fields: dict[str, Any] = {
            "clock": clock.name,
            "state": "not_applicable",
            "target_seconds": target,
            "elapsed_seconds": clock.used,
            "remaining_seconds": None if target is None else target - clock.used,
            "due": None,
            "started_at": clock.started_at,
            "stopped_at": clock.stopped_at,
            "breached_at": clock.breached_at,
            "met": clock.met,
            "cycles": clock.cycles,
            "calendar": policy.calendar if policy else None,
        }
        if policy is None or clock.started_at is None:
            return ClockResult(**fields)
        if not clock.active:
            fields["state"] = clock.stopped_reason or "stopped"
            return ClockResult(**fields)
        if not self._counting(clock):
            fields["state"] = "breached" if clock.breached_at else "paused"
            return ClockResult(**fields)
        # Counting: project to now without mutating the fold.
        probe = _Clock(**vars(clock))
        saved_last = self._last
        self._advance(probe, now)
        assert saved_last is not None
        if clock.breached_at is not None:
            due = clock.breached_at
        else:
            due = add_working_seconds(
                policy.calendar, saved_last, max(policy.target_seconds - clock.used, 0)
            )
        fields.update(
            state="breached" if probe.breached_at else "running",
            elapsed_seconds=probe.used,
            remaining_seconds=policy.target_seconds - probe.used,
            due=due,
            breached_at=probe.breached_at,
            resumed_at=saved_last,
            used_at_resume=clock.used,
        )
        return ClockResult(**fields)


def compute(events: Iterable[Event], policy: Policy, now: datetime) -> dict[str, ClockResult]:
    """The clocks at `now` from a ticket's history. Events after `now` are ignored; events are
    sorted by time (stable, so same-instant events keep their given order)."""
    moment = _utc(now)
    engine = SlaEngine(policy)
    for event in sorted(events, key=lambda e: _utc(e.at)):
        if _utc(event.at) <= moment:
            engine.feed(event)
    return engine.snapshot(moment)


def _instant_at_used(result: ClockResult, used: int) -> datetime | None:
    """When a running clock's used time reaches `used`, or None if already past or not running."""
    if result.resumed_at is None or result.calendar is None or used < result.used_at_resume:
        return None
    return add_working_seconds(result.calendar, result.resumed_at, used - result.used_at_resume)


def warnings_due(
    results: Mapping[str, ClockResult], at_fraction: float = 0.75
) -> dict[str, datetime | None]:
    """Per counting clock, the instant its used time reaches `at_fraction` of the target (rounded
    up to a whole second). None for clocks not counting, or whose threshold passed before they
    last resumed (the caller raised that warning then)."""
    if not 0 < at_fraction <= 1:
        raise SlaError("at_fraction must be in (0, 1]")
    out: dict[str, datetime | None] = {}
    for name, result in results.items():
        if result.target_seconds is None or result.state not in ("running", "breached"):
            out[name] = None
            continue
        out[name] = _instant_at_used(result, math.ceil(result.target_seconds * at_fraction))
    return out


def escalation_instants(
    result: ClockResult,
    offsets: Sequence[timedelta],
    mode: Literal["working", "wall"] = "working",
) -> list[datetime | None]:
    """The instant of each escalation step relative to a counting clock's due time.

    mode="working": -30 min means "when 30 working minutes remain" and +60 min "60 working
    minutes past due", both on the clock's calendar (so a +60 min step of a 17:30 breach on a
    09:00-18:00 calendar lands at 09:30 the next working day). mode="wall": due + offset in real
    time. None for a clock that is not counting, and for a negative step already passed when the
    clock last resumed."""
    out: list[datetime | None] = []
    if result.due is None or result.target_seconds is None or result.calendar is None:
        return [None] * len(offsets)
    for offset in offsets:
        seconds = int(offset.total_seconds())
        if mode == "wall":
            out.append(result.due + timedelta(seconds=seconds))
        elif mode == "working":
            if seconds >= 0:
                out.append(add_working_seconds(result.calendar, result.due, seconds))
            else:
                out.append(_instant_at_used(result, result.target_seconds + seconds))
        else:
            raise SlaError("mode must be 'working' or 'wall'")
    return out
