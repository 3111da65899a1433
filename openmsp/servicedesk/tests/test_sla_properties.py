"""Hypothesis properties of the SLA engine (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmsp.servicedesk import sla
from openmsp.servicedesk.sla import (
    ClockPolicy,
    Created,
    CustomerMessage,
    PolicyChanged,
    Reopened,
    Resolved,
    StaffPublicReply,
    StatusChanged,
)
from openmsp.tenants.calendar import (
    CalendarSpec,
    WorkingInterval,
    add_working_seconds,
    working_seconds_between,
)

UTC = UTC
BUSINESS = CalendarSpec(
    intervals=tuple(
        WorkingInterval(day, start, end)
        for day in range(5)
        for start, end in ((540, 720), (780, 1080))
    )
)
ALWAYS = CalendarSpec(always_open=True)
START = datetime(2026, 2, 10, 0, 0, tzinfo=UTC)  # spans 설날 2026 within a few weeks
CLOCKS = list(sla.CLOCKS)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

calendars = st.sampled_from([BUSINESS, ALWAYS])
policies = st.fixed_dictionaries(
    {name: st.builds(ClockPolicy, st.integers(0, 3 * 8 * 3600), calendars) for name in CLOCKS}
)
offsets = st.integers(0, 21 * 24 * 3600)  # seconds after START


@st.composite
def histories(draw: st.DrawFn) -> list[sla.Event]:
    created = START + timedelta(seconds=draw(offsets))
    gaps = draw(st.lists(st.integers(0, 3 * 24 * 3600), max_size=8))
    events: list[sla.Event] = [Created(created)]
    at = created
    for gap in gaps:
        at += timedelta(seconds=gap)
        kind = draw(
            st.sampled_from(["status", "customer", "reply", "resolved", "reopened", "policy"])
        )
        if kind == "status":
            events.append(StatusChanged(at, frozenset(draw(st.sets(st.sampled_from(CLOCKS))))))
        elif kind == "customer":
            events.append(CustomerMessage(at))
        elif kind == "reply":
            events.append(StaffPublicReply(at))
        elif kind == "resolved":
            events.append(Resolved(at))
        elif kind == "reopened":
            events.append(Reopened(at))
        else:
            events.append(PolicyChanged(at, draw(policies)))
    return events


@FAST
@given(histories(), policies, st.integers(0, 5 * 24 * 3600))
def test_full_history_equals_incremental(events, policy, tail) -> None:
    """Feeding events one by one, snapshotting after each, ends where one compute() does; and
    every intermediate snapshot equals compute() over the prefix at that instant."""
    now = events[-1].at + timedelta(seconds=tail)
    engine = sla.SlaEngine(policy)
    for i, event in enumerate(events):
        engine.feed(event)
        assert engine.snapshot(event.at) == sla.compute(events[: i + 1], policy, event.at)
    assert engine.snapshot(now) == sla.compute(events, policy, now)
    # Events after `now` are ignored.
    middle = events[0].at + (events[-1].at - events[0].at) / 2
    past = [e for e in events if e.at <= middle]
    assert sla.compute(events, policy, middle) == sla.compute(past, policy, middle)


@FAST
@given(
    histories(),
    policies,
    st.integers(0, 5 * 24 * 3600),
    st.integers(0, 5 * 24 * 3600),
    st.sets(st.sampled_from(CLOCKS), min_size=1),
)
def test_adding_a_pause_never_makes_a_due_earlier(events, policy, pause_at, length, paused) -> None:
    """Insert a pause [p, p+length) into a history whose statuses pause nothing: no clock's due
    instant gets earlier, and no clock that was not breached becomes breached sooner."""
    events = [e for e in events if not isinstance(e, StatusChanged)]
    p = events[0].at + timedelta(seconds=pause_at)
    paused_events = sorted(
        [
            *events,
            StatusChanged(p, frozenset(paused)),
            StatusChanged(p + timedelta(seconds=length)),
        ],
        key=lambda e: e.at,
    )
    # The pause goes after same-instant events of the original history (sorted() is stable).
    now = max(events[-1].at, p + timedelta(seconds=length)) + timedelta(days=1)
    for probe in (p, p + timedelta(seconds=length), now):
        before = sla.compute(events, policy, probe)
        after = sla.compute(paused_events, policy, probe)
        for name in CLOCKS:
            b, a = before[name], after[name]
            assert a.elapsed_seconds <= b.elapsed_seconds
            if b.due is not None and a.due is not None:
                assert a.due >= b.due
            if b.breached_at is not None and a.breached_at is not None:
                assert a.breached_at >= b.breached_at


@FAST
@given(
    offsets,
    st.integers(1, 3 * 8 * 3600),
    calendars,
    st.integers(0, 5 * 24 * 3600),
    st.integers(0, 5 * 24 * 3600),
)
def test_due_consistent_with_working_time(created_s, target, calendar, pause_at, length) -> None:
    """With one pause of the resolution clock, working time from creation to due, minus the
    working time inside the pause, equals the target; at the due instant remaining is 0 and the
    clock is not yet breached; one working second later it is."""
    created = START + timedelta(seconds=created_s)
    p = created + timedelta(seconds=pause_at)
    r = p + timedelta(seconds=length)
    policy = {name: ClockPolicy(target, calendar) for name in CLOCKS}
    events: list[sla.Event] = [
        Created(created),
        StatusChanged(p, frozenset({sla.RESOLUTION})),
        StatusChanged(r),
    ]
    at_resume = sla.compute(events, policy, r)[sla.RESOLUTION]
    if at_resume.state != "running":
        assert at_resume.state == "breached"  # it ran out before the pause
        assert at_resume.breached_at is not None
        assert working_seconds_between(calendar, created, at_resume.breached_at) == target
        return
    due = at_resume.due
    assert due is not None
    assert (
        working_seconds_between(calendar, created, due) - working_seconds_between(calendar, p, r)
        == target
    )
    at_due = sla.compute(events, policy, due)[sla.RESOLUTION]
    assert (at_due.state, at_due.remaining_seconds, at_due.due) == ("running", 0, due)
    later = sla.compute(events, policy, add_working_seconds(calendar, due, 1))[sla.RESOLUTION]
    assert later.state == "breached"
    assert later.breached_at == due
    assert later.remaining_seconds is not None
    assert later.remaining_seconds < 0
