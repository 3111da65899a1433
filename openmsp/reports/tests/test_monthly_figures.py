"""A month's figures for the seeded client, against the numbers worked out by hand in
conftest.py: availability with one maintenance window excluded and one not, and SLA attainment
with a ticket whose clock stands still over Hangul Day."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.reports import actions, collect
from openmsp.reports.models import Report
from openmsp.reports.tests.conftest import AFTER, MONTH, SYSTEM

pytestmark = pytest.mark.django_db


def test_availability_excludes_the_window_that_says_so_and_counts_the_other(
    seeded: dict[str, Any],
) -> None:
    a = collect.compute(seeded["client"], MONTH, AFTER)["availability"]
    check = next(r for r in a["rows"] if r["key"] == f"monitoring.check:{seeded['check'].pk}")
    assert check["counted_minutes"] == 44_640 - 480
    assert check["excluded_minutes"] == 480
    assert check["down_minutes"] == 150
    assert check["availability"] == 99.6603
    assert [(i["title"], i["down_minutes"]) for i in check["incidents"]] == [
        ("ERP web DB upgrade", 90),
        ("ERP web down", 60),
    ]
    host = next(r for r in a["rows"] if r["kind"] == "host")
    assert (host["label"], host["availability"], host["down_minutes"]) == ("erp-01", 99.6603, 150)
    assert a["overall"] == 99.6603
    assert a["met"] is False
    assert len(a["trend"]) == 31
    assert a["down_minutes"] == 150  # the host row is the same downtime, not counted twice
    assert a["trend"][4] == {"day": "2026-10-05", "availability": round(100 * 1380 / 1440, 4)}
    assert a["trend"][0] == {"day": "2026-10-01", "availability": 100.0}


def test_sla_attainment_per_clock_with_a_ticket_over_hangul_day(seeded: dict[str, Any]) -> None:
    t = collect.compute(seeded["client"], MONTH, AFTER)["tickets"]
    assert (t["opened"], t["resolved"]) == (2, 2)
    assert t["opened_by_priority"] == {"P4": 2}
    first, resolution = t["sla"]["first_response"], t["sla"]["resolution"]
    assert (first["met"], first["breached"], first["attainment"]) == (1, 1, 50.0)
    assert (first["mean_minutes"], first["p90_minutes"]) == (60.0, 90.0)
    assert (resolution["met"], resolution["breached"], resolution["attainment"]) == (1, 1, 50.0)
    assert (resolution["mean_minutes"], resolution["p90_minutes"]) == (450.0, 540.0)
    [breach] = resolution["breaches"]
    assert breach["ticket"] == seeded["b"].number
    assert breach["breached_at"] == "2026-10-15T01:00:00+00:00"  # Thu 10:00 KST
    assert (breach["elapsed_minutes"], breach["target_minutes"]) == (540.0, 480)
    assert t["sla"]["next_response"]["decided"] == 0  # the contract sets no next-response target


def test_regenerating_a_past_month_gives_the_same_figures_and_a_korean_summary(
    seeded: dict[str, Any],
) -> None:
    first = actions.generate(actor=SYSTEM, client=seeded["client"], month=MONTH, now=AFTER)
    figures = first.figures
    again = actions.generate(actor=SYSTEM, client=seeded["client"], month=MONTH)
    assert Report.objects.count() == 1
    assert again.figures == figures
    assert figures["period"]["complete"] is True
    assert again.summary[0] == "가용성은 99.660%로 계약 목표 99.900%에 미달했습니다 (중단 150분)."
