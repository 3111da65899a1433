"""The QBR's pure rules on small inputs worked out by hand: the fee of every billing model,
hosts over- and under-used, recommendations from disks forecast to fill, quarters parsed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openmsp.core.errors import ValidationFailed
from openmsp.reports import qbr, qbr_text

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def _contract(month: dt.date, model: str, rate: str) -> qbr.ContractMonth:
    return qbr.ContractMonth(
        month, "MSA", model, Decimal(rate), "KRW", Decimal("10"), devices=12, users=40
    )


def test_each_billing_model_gives_the_fee_worked_out_by_hand() -> None:
    entries = [
        qbr.TimeFacts(dt.date(2026, 10, 3), 90, True, "Network", "remote"),
        qbr.TimeFacts(dt.date(2026, 12, 9), 30, True, "", "onsite"),
        qbr.TimeFacts(dt.date(2026, 12, 9), 45, False, "", "admin"),
    ]
    months = [OCT, NOV, DEC]
    per_device = qbr.cost([_contract(m, "per_device", "20000") for m in months], months, entries)
    assert per_device["fee"] == 3 * 12 * 20_000
    per_user = qbr.cost([_contract(m, "per_user", "5000") for m in months], months, entries)
    assert per_user["fee"] == 3 * 40 * 5_000
    # Time and materials: October 1.5 h, December 0.5 h billable at 120,000 an hour.
    tm = qbr.cost([_contract(m, "time_and_materials", "120000") for m in months], months, entries)
    assert [m["fee"] for m in tm["fee_by_month"]] == [180_000, 0, 60_000]
    # No contract in October: that month costs nothing and says so.
    later = qbr.cost(
        [None, _contract(NOV, "block_hours", "900000"), _contract(DEC, "block_hours", "900000")],
        months,
        entries,
    )
    assert later["fee"] == 1_800_000
    assert later["fee_by_month"][0]["contract"] is None
    assert later["included_hours"] == 20
    assert later["by_category"] == [
        {"name": "Network", "billable_minutes": 90, "non_billable_minutes": 0},
        {"name": "-", "billable_minutes": 30, "non_billable_minutes": 45},
    ]


def test_hosts_busy_half_the_hours_are_over_used_and_idle_ones_under_used() -> None:
    hosts = [
        qbr.HostUsage("db-01", [85.0] * 12 + [40.0] * 12),  # busy 12 of 24 hours: over
        qbr.HostUsage("app-01", [85.0] * 11 + [40.0] * 13),  # 11 of 24: neither
        qbr.HostUsage(
            "old-01", [2.0] * 23 + [9.0]
        ),  # p95 (nearest rank: 23rd of 24) 2.0 < 10: under
        qbr.HostUsage("new-01", [1.0] * 23),  # 23 hours say nothing yet
    ]
    rows = qbr.utilisation(hosts)
    assert [(r["asset"], r["state"], r["p95"], r["busy_percent"]) for r in rows] == [
        ("db-01", "over", 85.0, 50.0),
        ("old-01", "under", 2.0, 0.0),
    ]
    text = qbr_text.recommendations(
        assets={"eol_6m": [], "eol_12m": [], "warranty_6m": [], "warranty_12m": []},
        capacity=[{"asset": "fs-01", "resource": "disk /data", "used_percent": 91.5, "growth_per_day": 0.5, "days_until_full": 17}],
        utilisation=rows, quarter_end="2027-01-01", language="en",
    )  # fmt: skip
    assert [t["text"] for t in text] == [
        "Extend disk /data on fs-01: 91.5% used, growing 0.50 points a day, full in about 17 days.",
        "Upgrade db-01: CPU was at or above 80% in 50% of the hours measured (mean 62.5%).",
        "Consider consolidating or retiring old-01: CPU p95 was 2.0% over the quarter.",
    ]


@pytest.mark.parametrize(
    ("text", "start"), [("2026-Q3", dt.date(2026, 7, 1)), ("2026q1", dt.date(2026, 1, 1))]
)
def test_a_quarter_is_written_yyyy_qn(text: str, start: dt.date) -> None:
    assert qbr.parse_quarter(text, today=dt.date(2026, 12, 2)) == start


@pytest.mark.parametrize("text", ["2026-Q5", "2026-3", "Q3", "", "2027-Q1"])
def test_anything_else_is_refused_naming_the_quarter(text: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        qbr.parse_quarter(text, today=dt.date(2026, 12, 2))
    assert err.value.field == "quarter"
