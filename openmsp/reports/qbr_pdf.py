"""The QBR as a PDF, with the monthly report's document class and chart drawing (`pdf`): the
embedded TrueType font (Hangul renders), trend charts of the three months drawn as vector bars.
Rendered on download from the stored figures, the agenda and the meeting records, so it always
shows the agenda and meetings as they are now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from openmsp.reports import pdf, qbr
from openmsp.reports import qbr_text as text
from openmsp.reports.models import Meeting, Qbr
from openmsp.reports.summary import language_of

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "trends": "Trends of the quarter",
        "availability": "Availability per month (%)",
        "volume": "Tickets per month (opened / resolved)",
        "sla": "Resolution SLA attainment per month (%)",
        "csat": "Customer satisfaction",
        "recurring": "Recurring problems",
        "times": "times",
        "minutes": "minutes",
        "root_cause": "Root cause",
        "recommendations": "Capacity and lifecycle recommendations",
        "cost": "Cost",
        "fee": "Contract fee",
        "billable": "Billable hours",
        "non_billable": "Non-billable hours",
        "agenda": "Agenda",
        "meetings": "Meetings",
        "attendees": "Attendees",
        "decisions": "Decisions",
        "actions": "Action items",
        "done": "done",
        "open": "open",
        "none": "None.",
    },
    "ko": {
        "trends": "분기 추이",
        "availability": "월별 가용성 (%)",
        "volume": "월별 티켓 (접수 / 해결)",
        "sla": "월별 해결 SLA 준수율 (%)",
        "csat": "고객 만족도",
        "recurring": "반복 장애",
        "times": "회",
        "minutes": "분",
        "root_cause": "근본 원인",
        "recommendations": "용량 및 수명 주기 권고",
        "cost": "비용",
        "fee": "계약 요금",
        "billable": "청구 가능 시간",
        "non_billable": "청구 불가 시간",
        "agenda": "회의 안건",
        "meetings": "회의 기록",
        "attendees": "참석자",
        "decisions": "결정 사항",
        "actions": "조치 항목",
        "done": "완료",
        "open": "미완료",
        "none": "없음.",
    },
}


def render(review: Qbr, root_causes: dict[str, str], meetings: Sequence[Meeting]) -> bytes:
    f = review.figures
    lang = language_of(review.language)
    t = LABELS[lang]
    doc = pdf._Doc(pdf.font_path())
    doc.set_creation_date(dt.datetime.fromisoformat(f["period"]["end"]))
    doc.add_page()
    doc.set_font("body", size=18)
    doc.cell(0, 10, text.title(lang), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("body", size=11)
    doc.cell(
        0, 6, f"{f['client']['name']} · {f['period']['quarter']}", new_x="LMARGIN", new_y="NEXT"
    )
    _trends(doc, f["trends"], t)
    _recurring(doc, f["recurring"], root_causes, t)
    doc.heading(t["recommendations"])
    for r in f["recommendations"] or [{"text": t["none"]}]:
        doc.line_text(f"• {r['text']}")
    _cost(doc, f["cost"], t)
    doc.heading(t["agenda"])
    for i, item in enumerate(review.agenda_items, 1):
        doc.line_text(f"{i}. {item}")
    _meetings(doc, meetings, t)
    return bytes(doc.output())


def _trends(doc: pdf._Doc, tr: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(f"{t['trends']}: {tr['availability']:.3f}%")
    months = tr["months"]
    doc.set_font("body", size=8)
    doc.cell(
        0,
        5,
        t["availability"] + "  " + " · ".join(m["month"] for m in months),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    floor = max(0.0, min(99.0, min([tr["target"]] + [m["availability"] for m in months]) - 0.5))
    pdf.bar_chart(
        doc, [[m["availability"] - floor for m in months]], [pdf.GREEN],
        scale=100.0 - floor, target=tr["target"] - floor,
    )  # fmt: skip
    doc.cell(0, 5, t["volume"], new_x="LMARGIN", new_y="NEXT")
    peak = max([1] + [m["opened"] for m in months] + [m["resolved"] for m in months])
    pdf.bar_chart(
        doc, [[m["opened"] for m in months], [m["resolved"] for m in months]],
        [pdf.BLUE, pdf.GREEN], scale=peak,
    )  # fmt: skip
    doc.cell(0, 5, t["sla"], new_x="LMARGIN", new_y="NEXT")
    pdf.bar_chart(doc, [[m["sla"].get("resolution") or 0 for m in months]], [pdf.BLUE], scale=100)
    doc.set_font("body", size=10)
    for m in months:
        c = m["csat"]
        if c:
            doc.line_text(
                f"{t['csat']} {m['month']}: {c['percent']:.1f}% ({c['good']}/{c['answered']})"
            )


def _recurring(
    doc: pdf._Doc, rows: list[dict[str, Any]], causes: dict[str, str], t: dict[str, str]
) -> None:
    doc.heading(t["recurring"])
    if not rows:
        doc.line_text(t["none"])
    for r in rows:
        doc.line_text(
            f"• {r['title']} ({r['object']}, {r['rule']}): {r['occurrences']}{t['times']}, "
            f"{r['total_minutes']:.0f}{t['minutes']}"
        )
        cause = causes.get(r["fingerprint"])
        if cause:
            doc.line_text(f"   {t['root_cause']}: {cause}")


def _cost(doc: pdf._Doc, cost: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(t["cost"])
    doc.line_text(f"{t['fee']}: {qbr.money(cost['fee'], cost['currency'])}")
    doc.line_text(
        f"{t['billable']}: {qbr.hours(cost['billable_minutes'])} · "
        f"{t['non_billable']}: {qbr.hours(cost['non_billable_minutes'])}"
    )
    rows = [
        [c["name"], qbr.hours(c["billable_minutes"]), qbr.hours(c["non_billable_minutes"])]
        for c in cost["by_category"]
    ]
    if rows:
        doc.grid(["", t["billable"], t["non_billable"]], rows, [80, 50, 50])


def _meetings(doc: pdf._Doc, meetings: Sequence[Meeting], t: dict[str, str]) -> None:
    doc.heading(t["meetings"])
    if not meetings:
        doc.line_text(t["none"])
    for m in meetings:
        doc.line_text(f"{m.held_on.isoformat()} · {t['attendees']}: {', '.join(m.attendee_list)}")
        if m.decisions:
            doc.line_text(f"{t['decisions']}: {m.decisions}")
        for a in m.action_items.all():
            due = a.due_on.isoformat() if a.due_on else "-"
            state = t["done"] if a.done else t["open"]
            doc.line_text(f"   [{state}] {a.title} · {a.owner} · {due}")
