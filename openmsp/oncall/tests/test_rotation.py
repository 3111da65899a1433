import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmsp.oncall.rotation import (
    CUSTOM,
    DAILY,
    WEEKLY,
    Layer,
    Override,
    Window,
    layer_user_at,
    on_call_at,
    shifts,
)

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
WEEKDAYS = frozenset(range(5))


def kst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)  # type: ignore[arg-type,misc]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


WEEKLY_SEOUL = Layer(users=("a", "b", "c"), start=kst(2026, 12, 7, 9), kind=WEEKLY)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (kst(2026, 12, 7, 8, 59), None),  # before the layer starts
        (kst(2026, 12, 7, 9), "a"),
        (kst(2026, 12, 14, 8, 59), "a"),  # one minute before the hand-off
        (kst(2026, 12, 14, 9), "b"),
        (utc(2026, 12, 14, 0), "b"),  # 09:00 KST is 00:00 UTC
        (kst(2026, 12, 21, 9), "c"),
        (kst(2026, 12, 28, 9), "a"),  # wrapped around
    ],
)
def test_it_hands_off_weekly_at_nine_seoul_time(instant: dt.datetime, expected: str | None) -> None:
    assert layer_user_at(WEEKLY_SEOUL, instant) == expected


BERLIN_DAILY = Layer(
    users=("a", "b"),
    start=dt.datetime(2026, 3, 27, 9, tzinfo=BERLIN),
    kind=DAILY,
    tz="Europe/Berlin",
)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 3, 27, 8), "a"),  # 09:00 CET
        (utc(2026, 3, 28, 7, 59), "a"),
        (utc(2026, 3, 28, 8), "b"),  # 09:00 CET
        # DST starts 29 March 2026: 09:00 CEST is 07:00 UTC, so the hand-off moves an hour in UTC.
        (utc(2026, 3, 29, 6, 59), "b"),
        (utc(2026, 3, 29, 7), "a"),
        (utc(2026, 3, 30, 7), "b"),
    ],
)
def test_it_keeps_hand_off_at_local_wall_time_across_dst(
    instant: dt.datetime, expected: str
) -> None:
    assert layer_user_at(BERLIN_DAILY, instant) == expected


def test_shift_across_dst_start_is_one_hour_shorter() -> None:
    result = shifts([BERLIN_DAILY], [], utc(2026, 3, 28, 8), utc(2026, 3, 30, 7))
    assert [(s.user, s.start, s.end) for s in result] == [
        ("b", utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)),
        ("a", utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)),
    ]


def test_custom_rotation_counts_elapsed_hours() -> None:
    layer = Layer(users=("a", "b"), start=kst(2026, 12, 1, 8), kind=CUSTOM, hours=12)
    assert layer_user_at(layer, kst(2026, 12, 1, 19, 59)) == "a"
    assert layer_user_at(layer, kst(2026, 12, 1, 20)) == "b"
    assert layer_user_at(layer, kst(2026, 12, 2, 8)) == "a"


BASE = Layer(users=("base",), start=kst(2026, 12, 1, 0), kind=WEEKLY)
OFFICE = Layer(
    users=("day",),
    start=kst(2026, 12, 1, 0),
    kind=WEEKLY,
    restriction=(Window(WEEKDAYS, dt.time(9), dt.time(18)),),
)
NIGHTS = Layer(
    users=("night",),
    start=kst(2026, 12, 1, 0),
    kind=WEEKLY,
    restriction=(Window(frozenset(range(7)), dt.time(22), dt.time(6)),),
)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (kst(2026, 12, 2, 12), ("day", "layer:1")),  # Wednesday noon: restricted layer on top
        (kst(2026, 12, 2, 18), ("base", "layer:0")),  # window end is exclusive
        (kst(2026, 12, 5, 12), ("base", "layer:0")),  # Saturday
        (kst(2026, 12, 2, 23), ("night", "layer:2")),
        (
            kst(2026, 12, 3, 5, 59),
            ("night", "layer:2"),
        ),  # after midnight, still last night's window
        (kst(2026, 12, 3, 6), ("base", "layer:0")),
    ],
)
def test_the_highest_layer_with_someone_wins(
    instant: dt.datetime, expected: tuple[str, str]
) -> None:
    assert on_call_at([BASE, OFFICE, NIGHTS], [], instant) == expected


def test_an_override_wins_over_every_layer() -> None:
    cover = Override("x", kst(2026, 12, 2, 10), kst(2026, 12, 2, 14))
    assert on_call_at([BASE, OFFICE], [cover], kst(2026, 12, 2, 12)) == ("x", "override")
    assert on_call_at([BASE, OFFICE], [cover], kst(2026, 12, 2, 14)) == ("day", "layer:1")
    result = shifts([BASE, OFFICE], [cover], kst(2026, 12, 2, 8), kst(2026, 12, 2, 20))
    assert [
        (s.user, s.start.astimezone(SEOUL).hour, s.end.astimezone(SEOUL).hour) for s in result
    ] == [
        ("base", 8, 9),
        ("day", 9, 10),
        ("x", 10, 14),
        ("day", 14, 18),
        ("base", 18, 20),
    ]


def test_it_rejects_a_naive_start() -> None:
    with pytest.raises(ValueError, match="start"):
        Layer(users=("a",), start=dt.datetime(2026, 1, 1))


zones = st.sampled_from(["Asia/Seoul", "Europe/Berlin", "America/New_York"])
instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def full_layers(draw: st.DrawFn) -> Layer:
    kind = draw(st.sampled_from([DAILY, WEEKLY, CUSTOM]))
    return Layer(
        users=tuple(f"u{i}" for i in range(draw(st.integers(1, 5)))),
        start=utc(2025, 12, 31, draw(st.integers(0, 23))),
        kind=kind,
        hours=draw(st.integers(1, 72)) if kind == CUSTOM else 0,
        tz=draw(zones),
    )


@settings(max_examples=150, deadline=None)
@given(layer=full_layers(), instant=instants, span=st.integers(1, 72 * 60))
def test_full_coverage_layer_has_exactly_one_person_everywhere(
    layer: Layer, instant: dt.datetime, span: int
) -> None:
    assert layer_user_at(layer, instant) in layer.users
    end = instant + dt.timedelta(minutes=span)
    result = shifts([layer], [], instant, end)
    # Contiguous, non-overlapping, covering the whole range, agreeing with the point query.
    assert result[0].start == instant
    assert result[-1].end == end
    for a, b in itertools.pairwise(result):
        assert a.end == b.start
    for s in result:
        assert layer_user_at(layer, s.start) == s.user


@settings(max_examples=100, deadline=None)
@given(
    layer=full_layers(),
    instant=instants,
    before=st.integers(0, 600),
    after=st.integers(1, 600),
)
def test_overrides_always_win(layer: Layer, instant: dt.datetime, before: int, after: int) -> None:
    cover = Override(
        "cover", instant - dt.timedelta(minutes=before), instant + dt.timedelta(minutes=after)
    )
    assert on_call_at([layer], [cover], instant) == ("cover", "override")
