"""The fourth quarter of 2026 for the seeded client, against the figures worked out by hand in
conftest.py: the quarter's availability from the three months' counted and down minutes, the
recurring problem (a reopened row and a new row of one fingerprint), CSAT per month, time by
category and work type, the contract fee, the lifecycle recommendations and the agenda."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.reports import actions, qbr_collect
from openmsp.reports.tests.conftest import AFTER_QUARTER, QUARTER, SYSTEM

pytestmark = pytest.mark.django_db


def _figures(quarter: dict[str, Any]) -> dict[str, Any]:
    return qbr_collect.compute(quarter["client"], QUARTER, AFTER_QUARTER, "ko")


def test_the_quarters_availability_adds_up_the_three_months_minutes(quarter) -> None:
    t = _figures(quarter)["trends"]
    assert [m["month"] for m in t["months"]] == ["2026-10", "2026-11", "2026-12"]
    assert [m["availability"] for m in t["months"]] == [99.6603, 99.7887, 99.8981]
    assert [m["down_minutes"] for m in t["months"]] == [150, 90, 45]
    assert t["availability"] == 99.7823
    assert t["down_minutes"] == 285
    assert t["met"] is False
    assert [(m["opened"], m["resolved"]) for m in t["months"]] == [(2, 2), (0, 0), (0, 0)]
    assert t["months"][0]["sla"] == {
        "first_response": 50.0,
        "next_response": None,
        "resolution": 50.0,
    }
    assert t["months"][1]["sla"]["resolution"] is None
    assert [m["csat"] and m["csat"]["percent"] for m in t["months"]] == [50.0, None, 100.0]


def test_a_recurring_problem_counts_each_firing_stretch_across_reopen_and_new_rows(quarter) -> None:
    [row] = _figures(quarter)["recurring"]
    assert row["fingerprint"] == quarter["fingerprint"]
    assert (row["title"], row["rule"], row["object"]) == ("ERP disk full", "disk", "erp-01")
    assert row["occurrences"] == 3
    assert row["total_minutes"] == 135
    assert row["first"].startswith("2026-11-03T01:00")  # 10:00 KST in UTC


def test_the_cost_view_has_the_fee_and_time_by_category_and_work_type(quarter) -> None:
    cost = _figures(quarter)["cost"]
    assert cost["fee"] == 4_500_000
    assert cost["currency"] == "KRW"
    assert [m["fee"] for m in cost["fee_by_month"]] == [1_500_000] * 3
    assert (cost["billable_minutes"], cost["non_billable_minutes"]) == (150, 30)
    assert cost["by_category"] == [
        {"name": "Network", "billable_minutes": 150, "non_billable_minutes": 0},
        {"name": "-", "billable_minutes": 0, "non_billable_minutes": 30},
    ]
    assert cost["by_work_type"] == [
        {"name": "remote", "billable_minutes": 90, "non_billable_minutes": 30},
        {"name": "onsite", "billable_minutes": 60, "non_billable_minutes": 0},
    ]


def test_lifecycle_recommendations_are_korean_sentences_most_urgent_first(quarter) -> None:
    rec = _figures(quarter)["recommendations"]
    assert [(r["kind"], r["subject"]) for r in rec] == [
        ("eol_passed", "old-nas"),
        ("eol_12m", "sw-01"),
        ("warranty_6m", "fw-01"),
    ]
    assert rec[0]["text"] == "old-nas 교체 필요: 지원 종료(EOL)일 2026-11-30이 지났습니다."


def test_generating_writes_the_agenda_and_regenerating_keeps_an_edited_one(quarter) -> None:
    review = actions.generate_qbr(
        actor=SYSTEM, client=quarter["client"], quarter=QUARTER, now=AFTER_QUARTER
    )
    assert review.quarter == "2026-Q4"
    items = review.agenda_items
    assert items[0] == "2026-Q4 검토: 가용성 99.782% (목표 99.900%)"
    assert "반복 장애와 근본 원인: ERP disk full ×3" in items
    assert "비용: 계약 요금 4,500,000 KRW, 청구 가능 2.5시간, 청구 불가 0.5시간" in items
    actions.update_agenda(actor=SYSTEM, review=review, agenda="1. 인사\n2. 예산")
    again = actions.generate_qbr(
        actor=SYSTEM, client=quarter["client"], quarter=QUARTER, now=AFTER_QUARTER
    )
    assert again.pk == review.pk
    assert again.agenda_items == ["1. 인사", "2. 예산"]
    assert again.figures == review.figures  # a past quarter regenerates to the same figures
