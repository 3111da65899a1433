"""SLA worked examples. Every expected instant was worked out by hand on the business calendar
Mon-Fri 09:00-12:00 + 13:00-18:00 Asia/Seoul (KR holidays) unless the row says 24x7."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

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
from openmsp.tenants.calendar import CalendarSpec, WorkingInterval

KST = timezone(timedelta(hours=9))
UTC = UTC
BUSINESS = CalendarSpec(
    timezone="Asia/Seoul",
    intervals=tuple(
        WorkingInterval(day, start, end)
        for day in range(5)
        for start, end in ((540, 720), (780, 1080))
    ),
)
ALWAYS = CalendarSpec(timezone="Asia/Seoul", always_open=True)
FR, NR, RES = sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.RESOLUTION
PAUSE_RES = frozenset({RES})


def k(y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=KST)


def pol(minutes: int, cal: CalendarSpec = BUSINESS) -> ClockPolicy:
    return ClockPolicy(minutes * 60, cal)


def policy(
    fr: int = 60, nr: int = 60, res: int = 480, cal: CalendarSpec = BUSINESS
) -> dict[str, ClockPolicy]:
    return {FR: pol(fr, cal), NR: pol(nr, cal), RES: pol(res, cal)}


# (id, events, policy, now, clock, expected state, expected due) -- one line of reasoning each.
ROWS = [
    # 11:30-12:00 = 30 min, lunch skipped, 13:00-13:30 = 30 min.
    (
        "lunch",
        [Created(k(2026, 12, 1, 11, 30))],
        policy(),
        k(2026, 12, 1, 11, 30),
        FR,
        "running",
        k(2026, 12, 1, 13, 30),
    ),
    # 17:00 + 60 fits exactly: due AT closing time 18:00, not 09:00 next day.
    (
        "exact-fit-closing",
        [Created(k(2026, 12, 1, 17))],
        policy(),
        k(2026, 12, 1, 17),
        FR,
        "running",
        k(2026, 12, 1, 18),
    ),
    # Created 07:00 before opening: counts from 09:00, due 10:00.
    (
        "before-hours",
        [Created(k(2026, 12, 1, 7))],
        policy(),
        k(2026, 12, 1, 7),
        FR,
        "running",
        k(2026, 12, 1, 10),
    ),
    # Created 19:00 Tue after closing: counts from Wed 09:00.
    (
        "after-hours",
        [Created(k(2026, 12, 1, 19))],
        policy(),
        k(2026, 12, 1, 19),
        FR,
        "running",
        k(2026, 12, 2, 10),
    ),
    # Fri 17:00: 60 min Friday, weekend skipped, 60 min Mon 09:00-10:00.
    (
        "weekend",
        [Created(k(2026, 12, 4, 17))],
        policy(fr=120),
        k(2026, 12, 4, 17),
        FR,
        "running",
        k(2026, 12, 7, 10),
    ),
    # 삼일절 2026 is a Sunday; substitute holiday Mon 3/2. Fri 17:30 +30 Fri, +30 Tue 3/3.
    (
        "substitute-holiday",
        [Created(k(2026, 2, 27, 17, 30))],
        policy(),
        k(2026, 2, 27, 17, 30),
        FR,
        "running",
        k(2026, 3, 3, 9, 30),
    ),
    # 설날 2026 is Mon-Wed 2/16-18. Fri 2/13 17:00: 60 Fri, then Thu 2/19 09:00-10:00.
    (
        "seollal-2026",
        [Created(k(2026, 2, 13, 17))],
        policy(fr=120),
        k(2026, 2, 13, 17),
        FR,
        "running",
        k(2026, 2, 19, 10),
    ),
    # 설날 2027 is Sat-Mon 2/6-8, Sunday overlap gives substitute Tue 2/9: resumes Wed 2/10.
    (
        "seollal-2027",
        [Created(k(2027, 2, 5, 17))],
        policy(fr=120),
        k(2027, 2, 5, 17),
        FR,
        "running",
        k(2027, 2, 10, 10),
    ),
    # 추석 2026 is Thu-Sat 9/24-26 (no substitute: none on a Sunday). Wed 17:00 -> Mon 9/28 10:00.
    (
        "chuseok-2026",
        [Created(k(2026, 9, 23, 17))],
        policy(fr=120),
        k(2026, 9, 23, 17),
        FR,
        "running",
        k(2026, 9, 28, 10),
    ),
    # 추석 2027 is Tue-Thu 9/14-16. Mon 9/13 17:00: 60 Mon, then Fri 9/17 09:00-10:00.
    (
        "chuseok-2027",
        [Created(k(2027, 9, 13, 17))],
        policy(fr=120),
        k(2027, 9, 13, 17),
        FR,
        "running",
        k(2027, 9, 17, 10),
    ),
    # 24x7 P1: Fri 23:00 + 4 h wall = Sat 03:00, weekend irrelevant.
    (
        "p1-24x7",
        [Created(k(2026, 12, 4, 23))],
        policy(res=240, cal=ALWAYS),
        k(2026, 12, 4, 23),
        RES,
        "running",
        k(2026, 12, 5, 3),
    ),
    # Pause 11:00 Fri 2/13 (60 used), resume Thu 2/19 14:00: 420 left = 14-18 (240) + Fri 9-12 (180).
    (
        "pause-across-seollal",
        [
            Created(k(2026, 2, 13, 10)),
            StatusChanged(k(2026, 2, 13, 11), PAUSE_RES),
            StatusChanged(k(2026, 2, 19, 14)),
        ],
        policy(),
        k(2026, 2, 19, 14),
        RES,
        "running",
        k(2026, 2, 20, 12),
    ),
    # Paused: no due; 60 min used stays frozen while the status pauses the clock.
    (
        "paused-no-due",
        [Created(k(2026, 2, 13, 10)), StatusChanged(k(2026, 2, 13, 11), PAUSE_RES)],
        policy(),
        k(2026, 2, 17, 10),
        RES,
        "paused",
        None,
    ),
    # Pause 10:00 (60 used), resume 20:00 outside hours: 420 left from Wed 09:00 = 9-12, 13-17.
    (
        "resume-outside-hours",
        [
            Created(k(2026, 12, 1, 9)),
            StatusChanged(k(2026, 12, 1, 10), PAUSE_RES),
            StatusChanged(k(2026, 12, 1, 20)),
        ],
        policy(),
        k(2026, 12, 1, 20),
        RES,
        "running",
        k(2026, 12, 2, 17),
    ),
    # The same pause does not pause first response: 240 from 09:00 = 9-12 + 13-14.
    (
        "pause-only-listed-clocks",
        [Created(k(2026, 12, 1, 9)), StatusChanged(k(2026, 12, 1, 10), PAUSE_RES)],
        policy(fr=240),
        k(2026, 12, 1, 10),
        FR,
        "running",
        k(2026, 12, 1, 14),
    ),
    # Reply 09:30, customer 10:00 starts next response: due 11:00.
    (
        "next-response-start",
        [
            Created(k(2026, 12, 1, 9)),
            StaffPublicReply(k(2026, 12, 1, 9, 30)),
            CustomerMessage(k(2026, 12, 1, 10)),
        ],
        policy(),
        k(2026, 12, 1, 10),
        NR,
        "running",
        k(2026, 12, 1, 11),
    ),
    # Reply 10:30 satisfies it; customer 11:30 restarts from zero: 30 before lunch + 30 after.
    (
        "next-response-reset",
        [
            Created(k(2026, 12, 1, 9)),
            StaffPublicReply(k(2026, 12, 1, 9, 30)),
            CustomerMessage(k(2026, 12, 1, 10)),
            StaffPublicReply(k(2026, 12, 1, 10, 30)),
            CustomerMessage(k(2026, 12, 1, 11, 30)),
        ],
        policy(),
        k(2026, 12, 1, 11, 30),
        NR,
        "running",
        k(2026, 12, 1, 13, 30),
    ),
    # A customer message before any staff reply is first response's business: NR not started.
    (
        "next-response-needs-reply",
        [Created(k(2026, 12, 1, 9)), CustomerMessage(k(2026, 12, 1, 9, 10))],
        policy(),
        k(2026, 12, 1, 9, 10),
        NR,
        "not_applicable",
        None,
    ),
    # 08:30 KST Tue 12/1 is 23:30 UTC Mon 11/30: the LOCAL date decides; due 10:00 KST = 01:00Z.
    (
        "local-vs-utc-date",
        [Created(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))],
        policy(),
        k(2026, 12, 1, 8, 30),
        FR,
        "running",
        datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
    ),
    # 2026-02-18 23:30Z is 08:30 Thu 2/19 KST, a working day though the UTC date is 설날.
    (
        "utc-date-is-holiday",
        [Created(datetime(2026, 2, 18, 23, 30, tzinfo=UTC))],
        policy(),
        k(2026, 2, 19, 8, 30),
        FR,
        "running",
        k(2026, 2, 19, 10),
    ),
    # 2026-02-15 23:30Z (Sunday in UTC) is 08:30 Mon 2/16 KST = 설날: next opening Thu 2/19.
    (
        "local-date-is-holiday",
        [Created(datetime(2026, 2, 15, 23, 30, tzinfo=UTC))],
        policy(),
        k(2026, 2, 16, 8, 30),
        FR,
        "running",
        k(2026, 2, 19, 10),
    ),
    # Reply exactly at the due instant 10:00 is met.
    (
        "reply-at-due-met",
        [Created(k(2026, 12, 1, 9)), StaffPublicReply(k(2026, 12, 1, 10))],
        policy(),
        k(2026, 12, 1, 12),
        FR,
        "met",
        None,
    ),
    # Reply at 10:00:01 is one working second late: breached, frozen.
    (
        "reply-late-breached",
        [Created(k(2026, 12, 1, 9)), StaffPublicReply(k(2026, 12, 1, 10, 0, 1))],
        policy(),
        k(2026, 12, 1, 12),
        FR,
        "breached",
        None,
    ),
    # No reply by 11:00: breached; due stays the breach instant 10:00.
    (
        "running-breached",
        [Created(k(2026, 12, 1, 9))],
        policy(),
        k(2026, 12, 1, 11),
        FR,
        "breached",
        k(2026, 12, 1, 10),
    ),
    # Resolved 10:30 (90 of 120 used), reopened 14:00: 30 left, due 14:30.
    (
        "reopen-keeps-time",
        [
            Created(k(2026, 12, 1, 9)),
            Resolved(k(2026, 12, 1, 10, 30)),
            Reopened(k(2026, 12, 1, 14)),
        ],
        policy(res=120),
        k(2026, 12, 1, 14),
        RES,
        "running",
        k(2026, 12, 1, 14, 30),
    ),
    # Resolved within target: met, no due.
    (
        "resolved-met",
        [Created(k(2026, 12, 1, 9)), Resolved(k(2026, 12, 1, 10, 30))],
        policy(res=120),
        k(2026, 12, 1, 14),
        RES,
        "met",
        None,
    ),
    # Target cut 240 -> 120 at 10:00 keeps the 60 used: due 11:00.
    (
        "target-change-keeps-used",
        [Created(k(2026, 12, 1, 9)), PolicyChanged(k(2026, 12, 1, 10), {FR: pol(120)})],
        policy(fr=240),
        k(2026, 12, 1, 10),
        FR,
        "running",
        k(2026, 12, 1, 11),
    ),
    # Raised to P1 at 17:30 (30 business min used) on 24x7, target 240: 210 wall min -> 21:00.
    (
        "calendar-change-to-24x7",
        [
            Created(k(2026, 12, 1, 17)),
            PolicyChanged(k(2026, 12, 1, 17, 30), {RES: pol(240, ALWAYS)}),
        ],
        policy(res=240),
        k(2026, 12, 1, 17, 30),
        RES,
        "running",
        k(2026, 12, 1, 21),
    ),
    # 24x7 pause over a weekend: 60 used Fri 10-11, resumed Mon 09:00, 180 left -> Mon 12:00.
    (
        "24x7-pause-weekend",
        [
            Created(k(2026, 12, 4, 10)),
            StatusChanged(k(2026, 12, 4, 11), PAUSE_RES),
            StatusChanged(k(2026, 12, 7, 9)),
        ],
        policy(res=240, cal=ALWAYS),
        k(2026, 12, 7, 9),
        RES,
        "running",
        k(2026, 12, 7, 12),
    ),
]


@pytest.mark.parametrize(
    ("events", "pol_", "now", "clock", "state", "due"),
    [r[1:] for r in ROWS],
    ids=[r[0] for r in ROWS],
)
def test_worked_example(events, pol_, now, clock, state, due) -> None:
    result = sla.compute(events, pol_, now)[clock]
    assert result.state == state
    assert result.due == due


def test_elapsed_and_remaining_reported() -> None:
    events = [Created(k(2026, 12, 1, 9))]
    r = sla.compute(events, policy(), k(2026, 12, 1, 11))[FR]
    assert (r.elapsed_seconds, r.remaining_seconds, r.breached_at) == (
        7200,
        -3600,
        k(2026, 12, 1, 10),
    )
    paused = sla.compute(
        [Created(k(2026, 2, 13, 10)), StatusChanged(k(2026, 2, 13, 11), PAUSE_RES)],
        policy(),
        k(2026, 2, 17, 10),
    )[RES]
    assert (paused.elapsed_seconds, paused.remaining_seconds) == (3600, 420 * 60)


def test_next_response_cycles_and_resolution_stops_response_clocks() -> None:
    events: list[sla.Event] = [
        Created(k(2026, 12, 1, 9)),
        StaffPublicReply(k(2026, 12, 1, 9, 30)),
        CustomerMessage(k(2026, 12, 1, 10)),
        StaffPublicReply(k(2026, 12, 1, 10, 30)),
        CustomerMessage(k(2026, 12, 1, 11, 30)),
        Resolved(k(2026, 12, 1, 11, 45)),
    ]
    out = sla.compute(events, policy(), k(2026, 12, 1, 12))
    assert out[NR].cycles == 2
    assert out[NR].state == "stopped"
    assert out[NR].met is None
    assert out[FR].state == "met"
    assert out[FR].met is True
    assert out[RES].state == "met"
    assert out[RES].elapsed_seconds == 165 * 60


def test_warnings_and_escalations() -> None:
    # FR 60 min from 17:00: due 18:00; 75 % = 45 min -> 17:45.
    out = sla.compute([Created(k(2026, 12, 1, 17))], policy(), k(2026, 12, 1, 17))
    assert sla.warnings_due(out)[FR] == k(2026, 12, 1, 17, 45)
    steps = [timedelta(minutes=-30), timedelta(0), timedelta(minutes=60)]
    # working: 30 min left at 17:30; +60 working from 18:00 Tue is Wed 10:00.
    assert sla.escalation_instants(out[FR], steps) == [
        k(2026, 12, 1, 17, 30),
        k(2026, 12, 1, 18),
        k(2026, 12, 2, 10),
    ]
    # wall: plain offsets from the 18:00 due instant.
    assert sla.escalation_instants(out[FR], steps, mode="wall") == [
        k(2026, 12, 1, 17, 30),
        k(2026, 12, 1, 18),
        k(2026, 12, 1, 19),
    ]
    assert out[NR].state == "not_applicable"
    assert sla.warnings_due(out)[NR] is None


def test_bad_input() -> None:
    with pytest.raises(sla.SlaError):
        sla.compute([StaffPublicReply(k(2026, 12, 1, 9))], policy(), k(2026, 12, 1, 10))
    with pytest.raises(sla.SlaError):
        sla.compute([Created(datetime(2026, 12, 1, 9))], policy(), k(2026, 12, 1, 10))
    with pytest.raises(sla.SlaError):
        sla.compute(
            [Created(k(2026, 12, 1, 9)), StatusChanged(k(2026, 12, 1, 9), frozenset({"bogus"}))],
            policy(),
            k(2026, 12, 1, 10),
        )
