"""The report's satisfaction, time-spent and host-usage sections for the seeded October 2026
(Asia/Seoul), against figures worked out by hand.

CSAT (surveys on the seeded tickets):
  sent 10-03, good 10-03 · sent 10-10, bad 10-11 · sent 10-20, good 10-21 · sent 10-25, no
  answer · sent 10-31 23:00, good 11-01 02:00 (next month's answer) · sent 09-29, good 10-01
  01:00 (last month's survey, this month's answer).
  Sent in October: 5. Answers received in October: good 10-03, bad 10-11, good 10-21, good
  10-01 = 4, 3 good -> score 75.0 %. October's surveys answered by its end: 3 of 5 -> 60.0 %.

Time (ticket A has no category, B is "Printers"):
  A 10-08 remote 30 billable, A 10-12 remote 45 billable, A 10-12 admin 20 not billable,
  B 10-14 onsite 60 billable, B 10-15 remote 15 not billable; 09-30 100 and 11-01 50 outside.
  Total 170, billable 135 (79.41 %), not 35. Remote 75 + 15 = 90, onsite 60, admin 0 + 20.
  No category 75 + 20 = 95, Printers 60 + 15 = 75.

Usage (hourly means; p95 = the ceil(0.95 n)-th smallest):
  erp-01  100 h: 90 at 95 %, 10 at 10 %  -> 95th value 95.0 > 85: over-used (memory 50).
  idle-01  80 h: 76 at 2 %, 4 at 50 %    -> 76th value 2.0 < 5, memory 10 < 20: under-used.
  spiky-01 100 h: 95 at 20 %, 5 at 99 %  -> 95th value 20.0: a spike, not consistent: neither.
  new-01   50 h at 99 %                  -> fewer than 72 hours: not judged.
  Per-CPU series (cpu="0") of erp-01 at 1 % are ignored. Judged: 3.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.assets import actions as asset_actions
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.metrics.ingest import labels_key
from openmsp.metrics.models import Rollup1h, Series
from openmsp.reports import actions, collect, pdf
from openmsp.reports.tests.conftest import AFTER, MONTH, SYSTEM, kst
from openmsp.servicedesk import setup_actions, timekeeping
from openmsp.servicedesk.models import CsatSurvey, Ticket

pytestmark = pytest.mark.django_db


def _survey(ticket: Ticket, sent: dt.datetime, answered: dt.datetime | None, rating: str) -> None:
    CsatSurvey.objects.create(
        client_id=ticket.client_id, ticket=ticket, send_after=sent, sent_at=sent,
        status="answered" if answered else "sent", answered_at=answered, rating=rating,
    )  # fmt: skip


@pytest.fixture
def surveys(seeded: dict[str, Any]) -> None:
    a, b = seeded["a"], seeded["b"]
    _survey(a, kst(3, 9), kst(3, 10), "good")
    _survey(b, kst(10, 9), kst(11, 9), "bad")
    _survey(a, kst(20, 9), kst(21, 9), "good")
    _survey(b, kst(25, 9), None, "")
    _survey(a, kst(31, 23), kst(1, 2, month=11), "good")
    _survey(b, kst(29, 9, month=9), kst(1, 1), "good")


@pytest.fixture
def time_logged(seeded: dict[str, Any]) -> None:
    tech = Actor(user=make_user("tech@msp.example", Role.TECHNICIAN, all_clients=True))
    printers = setup_actions.save_category(actor=SYSTEM, client=seeded["client"], name="Printers")
    Ticket.objects.filter(pk=seeded["b"].pk).update(category=printers)
    a, b = seeded["a"], Ticket.objects.get(pk=seeded["b"].pk)
    for ticket, day, work_type, minutes, billable in (
        (a, dt.date(2026, 10, 8), "remote", 30, True),
        (a, dt.date(2026, 10, 12), "remote", 45, True),
        (a, dt.date(2026, 10, 12), "admin", 20, False),
        (b, dt.date(2026, 10, 14), "onsite", 60, True),
        (b, dt.date(2026, 10, 15), "remote", 15, False),
        (a, dt.date(2026, 9, 30), "remote", 100, True),
        (b, dt.date(2026, 11, 1), "remote", 50, True),
    ):
        timekeeping.log_time(actor=tech, ticket=ticket, minutes=minutes, date=day,
                             work_type=work_type, billable=billable)  # fmt: skip


def _hourly(
    host: Asset, name: str, values: list[float], labels: dict[str, str] | None = None
) -> None:
    labels = labels or {}
    series = Series.objects.create(client_id=host.client_id, asset=host, name=name, labels=labels,
                                   labels_key=labels_key(labels))  # fmt: skip
    first = kst(2, 0)
    Rollup1h.objects.bulk_create(
        Rollup1h(series=series, bucket=first + dt.timedelta(hours=i), min=v, max=v, sum=v * 60,
                 count=60)
        for i, v in enumerate(values)
    )  # fmt: skip


@pytest.fixture
def usage(seeded: dict[str, Any]) -> None:
    client = seeded["client"]
    total = {"cpu": "total"}

    def host(name: str) -> Asset:
        return asset_actions.create_asset(actor=SYSTEM, client=client, name=name)

    erp = seeded["host"]
    _hourly(erp, "cpu.percent", [95.0] * 90 + [10.0] * 10, total)
    _hourly(erp, "cpu.percent", [1.0] * 100, {"cpu": "0"})
    _hourly(erp, "mem.used_percent", [50.0] * 100)
    idle = host("idle-01")
    _hourly(idle, "cpu.percent", [2.0] * 76 + [50.0] * 4, total)
    _hourly(idle, "mem.used_percent", [10.0] * 80)
    spiky = host("spiky-01")
    _hourly(spiky, "cpu.percent", [20.0] * 95 + [99.0] * 5, total)
    _hourly(spiky, "mem.used_percent", [30.0] * 100)
    _hourly(host("new-01"), "cpu.percent", [99.0] * 50, total)


def test_csat_counts_the_months_surveys_and_answers(surveys: None, seeded: dict[str, Any]) -> None:
    c = collect.compute(seeded["client"], MONTH, AFTER)["csat"]
    assert c == {"sent": 5, "answered": 4, "good": 3, "bad": 1, "score": 75.0,
                 "response_rate": 60.0}  # fmt: skip


def test_time_spent_is_split_billable_and_not_by_work_type_and_category(
    time_logged: None, seeded: dict[str, Any]
) -> None:
    w = collect.compute(seeded["client"], MONTH, AFTER)["time"]
    assert (w["minutes"], w["billable_minutes"], w["non_billable_minutes"]) == (170, 135, 35)
    assert w["billable_share"] == 79.41
    assert [(r["name"], r["billable_minutes"], r["non_billable_minutes"]) for r in w["by_work_type"]] == [
        ("remote", 75, 15), ("onsite", 60, 0), ("admin", 0, 20),
    ]  # fmt: skip
    assert [(r["name"], r["billable_minutes"], r["non_billable_minutes"]) for r in w["by_category"]] == [
        ("-", 75, 20), ("Printers", 60, 15),
    ]  # fmt: skip


def test_hosts_consistently_over_or_under_used_by_p95_of_hourly_means(
    usage: None, seeded: dict[str, Any]
) -> None:
    u = collect.compute(seeded["client"], MONTH, AFTER)["capacity"]["utilization"]
    assert u["judged"] == 3
    assert u["over"] == [{"asset": "erp-01", "cpu_p95": 95.0, "memory_p95": 50.0, "hours": 100}]
    assert u["under"] == [{"asset": "idle-01", "cpu_p95": 2.0, "memory_p95": 10.0, "hours": 80}]


def test_the_new_sections_reach_the_summary_the_page_and_the_korean_pdf(
    surveys: None, time_logged: None, usage: None, seeded: dict[str, Any], web_as: Any,
    alice: Any, tmp_path: Any,
) -> None:  # fmt: skip
    import subprocess

    report = actions.generate(actor=SYSTEM, client=seeded["client"], month=MONTH, now=AFTER)
    assert "응답한 설문 4건 중 75.0%가 '좋음'으로 평가했습니다." in report.summary
    assert "지속적으로 과다 사용된 호스트 (CPU 또는 메모리 p95): erp-01." in report.summary
    assert "한 달 내내 거의 유휴 상태로 통합 검토 대상: idle-01." in report.summary
    from django.urls import reverse

    page = web_as(alice).get(reverse("report_detail", args=[report.pk])).content.decode()
    assert 'id="csat-section"' in page
    assert 'id="time-section"' in page
    assert "idle-01" in page
    assert "spiky-01" not in page
    (tmp_path / "r.pdf").write_bytes(bytes(report.pdf))
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    for needle in ("고객 만족도: 75.0%", "작업 시간 (분): 170", "지속적으로 과다 / 과소 사용된 호스트",
                   "과소 사용", "idle-01"):  # fmt: skip
        assert needle in text
    assert pdf.LABELS["en"]["csat"] == "Customer satisfaction"
