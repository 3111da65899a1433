"""The pure parts of the figures, on small inputs worked out by hand: capacity forecast by
linear regression, interface punctuality from the cron schedule, lifecycle windows, the
nearest-rank p90, the English summary and the plan's months."""

from __future__ import annotations

import datetime as dt

from openmsp.reports import figures as fg
from openmsp.reports import schedule
from openmsp.reports import summary as sm

UTC = dt.UTC
END = dt.datetime(2026, 11, 1, tzinfo=UTC)


def test_a_disk_growing_two_points_a_day_from_80_percent_fills_in_ten_days() -> None:
    points = [(END - dt.timedelta(days=d), 80.0 - 2.0 * d) for d in range(10, 0, -1)]
    # 62 % ten days before the end, 78 % one day before: the line reaches 80 % at the end.
    [row] = fg.capacity(END, [fg.UsageSeries("db-01", "disk /data", points)], horizon_days=90)
    assert row == {"asset": "db-01", "resource": "disk /data", "used_percent": 80.0,
                   "growth_per_day": 2.0, "days_until_full": 10}  # fmt: skip
    flat = [(END - dt.timedelta(days=d), 50.0) for d in range(5)]
    assert fg.capacity(END, [fg.UsageSeries("web", "disk /", flat)], horizon_days=90) == []
    assert fg.capacity(END, [fg.UsageSeries("db-01", "disk /data", points)], horizon_days=9) == []


def test_an_interface_is_on_time_when_a_run_starts_within_the_grace_of_each_slot() -> None:
    start = dt.datetime(2026, 10, 1, tzinfo=UTC)
    end = dt.datetime(2026, 10, 4, tzinfo=UTC)  # three 01:00 UTC slots
    runs = [
        (dt.datetime(2026, 10, 1, 1, 5, tzinfo=UTC), 100, 0),  # on time
        (dt.datetime(2026, 10, 2, 1, 40, tzinfo=UTC), 100, 3),  # late (grace 15), failed records
    ]  # the third day: no run
    [row] = fg.interfaces(start, end, [fg.InterfaceFacts("orders", "0 1 * * *", "UTC", 15, runs)])
    assert (row["runs"], row["records"], row["failed_runs"]) == (2, 200, 1)
    assert (row["scheduled"], row["on_time"], row["on_time_percent"]) == (3, 1, 33.33)


def test_lifecycle_dates_are_counted_from_the_months_end() -> None:
    def asset(name: str, warranty: dt.date | None) -> fg.AssetFacts:
        return fg.AssetFacts(name, "server", "Ubuntu", warranty, None, dt.date(2025, 1, 1), None)

    facts = [asset("a", dt.date(2027, 4, 30)), asset("b", dt.date(2027, 5, 1)), asset("c", None)]
    out = fg.assets(dt.date(2026, 10, 1), dt.date(2026, 11, 1), facts)
    assert [x["name"] for x in out["warranty_6m"]] == ["a"]  # before 2027-05-01
    assert [x["name"] for x in out["warranty_12m"]] == ["a", "b"]
    assert out["by_role"] == {"server": 3}


def test_p90_is_the_nearest_rank() -> None:
    assert fg.percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 90) == 9
    assert fg.percentile([30, 90], 90) == 90
    assert fg.percentile([], 90) is None


def test_the_plans_months_and_the_english_summary() -> None:
    assert schedule.previous_month(dt.date(2026, 1, 3)) == dt.date(2025, 12, 1)
    assert [m for m in range(1, 13) if schedule.is_due("quarterly", dt.date(2026, m, 1))] == [
        3,
        6,
        9,
        12,
    ]
    assert not schedule.is_due("none", dt.date(2026, 12, 1))
    figures = {
        "availability": {"met": True, "overall": 99.95, "target": 99.9, "down_minutes": 20, "below_target": []},
        "tickets": {"opened": 0, "resolved": 0, "sla": {"resolution": {"decided": 0, "breached": 0, "attainment": None}}},
        "interfaces": [],
        "capacity": {"horizon_days": 90, "rows": []},
        "assets": {"warranty_6m": [], "eol_6m": []},
    }  # fmt: skip
    assert sm.sentences(figures, "en") == [
        "Availability was 99.950%, meeting the contract target of 99.900%.",
        "No tickets were opened this month.",
    ]
