"""The report as a PDF (fpdf2): the configured TrueType font embedded, so Hangul renders in every
viewer, and the charts drawn as vector shapes from the stored figures (no image library, no
browser). Rendered from the snapshot only, so the same report gives the same document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from fpdf import FPDF

from openmsp.core.errors import ValidationFailed
from openmsp.reports import summary as sm

BLUE = (37, 99, 235)
GREEN = (22, 163, 74)
RED = (220, 38, 38)
GREY = (120, 120, 120)

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "availability": "Availability",
        "trend": "Availability per day (%)",
        "target": "target",
        "subject": "Monitored",
        "percent": "Availability %",
        "down": "Down (min)",
        "incidents": "Incidents",
        "tickets": "Tickets",
        "volume": "Tickets per week (opened / resolved)",
        "sla": "SLA attainment (%)",
        "clock": "Clock",
        "attain": "Attainment",
        "mean": "Mean (min)",
        "p90": "p90 (min)",
        "breaches": "Breaches",
        "interfaces": "Interfaces",
        "runs": "Runs",
        "failed": "Failed runs",
        "ontime": "On time",
        "capacity": "Capacity forecast",
        "days": "Days until full",
        "assets": "Assets",
        "total": "In service",
        "first_response": "First response",
        "next_response": "Next response",
        "resolution": "Resolution",
        "none": "None.",
        "lifecycle": "Warranty / end of life within 6 months",
        "csat": "Customer satisfaction",
        "csat_line": "{sent} surveys sent, {answered} answers: {good} good, {bad} bad",
        "time": "Time spent (minutes)",
        "work_type": "Work type",
        "category": "Category",
        "billable": "Billable",
        "non_billable": "Not billable",
        "usage": "Hosts consistently over- or under-used",
        "over": "over-used",
        "under": "under-used",
    },
    "ko": {
        "availability": "가용성",
        "trend": "일별 가용성 (%)",
        "target": "목표",
        "subject": "모니터링 대상",
        "percent": "가용성 %",
        "down": "중단 (분)",
        "incidents": "장애",
        "tickets": "티켓",
        "volume": "주별 티켓 (접수 / 해결)",
        "sla": "SLA 준수율 (%)",
        "clock": "시계",
        "attain": "준수율",
        "mean": "평균 (분)",
        "p90": "p90 (분)",
        "breaches": "위반",
        "interfaces": "인터페이스",
        "runs": "실행",
        "failed": "실패 실행",
        "ontime": "정시",
        "capacity": "용량 예측",
        "days": "가득 찰 때까지 (일)",
        "assets": "자산",
        "total": "운영 중",
        "first_response": "최초 응답",
        "next_response": "다음 응답",
        "resolution": "해결",
        "none": "없음.",
        "lifecycle": "6개월 안에 보증 만료 / EOL",
        "csat": "고객 만족도",
        "csat_line": "설문 {sent}건 발송, 응답 {answered}건: 좋음 {good}, 나쁨 {bad}",
        "time": "작업 시간 (분)",
        "work_type": "작업 유형",
        "category": "분류",
        "billable": "청구 가능",
        "non_billable": "청구 불가",
        "usage": "지속적으로 과다 / 과소 사용된 호스트",
        "over": "과다 사용",
        "under": "과소 사용",
    },
}


class _Doc(FPDF):
    def __init__(self, font: Path) -> None:
        super().__init__(format="A4")
        self.set_creator("OpenMSP")
        self.set_auto_page_break(auto=True, margin=15)
        self.add_font("body", "", str(font))
        self.set_font("body", size=10)
        self.set_compression(False)  # text stays greppable and the bytes stay deterministic

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("body", size=13)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("body", size=10)

    def line_text(self, text: str) -> None:
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")

    def grid(self, head: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_fill_color(235, 238, 245)
        for w, h in zip(widths, head, strict=True):
            self.cell(w, 6, h, border=1, fill=True)
        self.ln()
        for row in rows:
            for w, v in zip(widths, row, strict=True):
                self.cell(w, 6, v[:60], border=1)
            self.ln()


def font_path() -> Path:
    path = Path(settings.OPENMSP_REPORT_FONT)
    if not path.is_file():
        raise ValidationFailed(
            f"The report font {path} is missing: install fonts-nanum or set OPENMSP_REPORT_FONT.",
            field="OPENMSP_REPORT_FONT",
        )
    return path


def render(figures: dict[str, Any], summary: list[str], language: str) -> bytes:
    lang = sm.language_of(language)
    t = LABELS[lang]
    doc = _Doc(font_path())
    doc.set_creation_date(_fixed_date(figures))
    doc.add_page()
    doc.set_font("body", size=18)
    doc.cell(0, 10, sm.title(lang), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("body", size=11)
    doc.cell(
        0,
        6,
        f"{figures['client']['name']} · {figures['period']['month']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(2)
    for sentence in summary:
        doc.line_text(f"• {sentence}")
    _availability(doc, figures["availability"], t)
    _tickets(doc, figures["tickets"], t)
    if "csat" in figures:  # reports stored before these sections render as they were
        _csat(doc, figures["csat"], t)
        _time(doc, figures["time"], t)
    _interfaces(doc, figures["interfaces"], t)
    _capacity(doc, figures["capacity"], t)
    _assets(doc, figures["assets"], t)
    return bytes(doc.output())


def _fixed_date(figures: dict[str, Any]) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(figures["period"]["end"])


def _availability(doc: _Doc, a: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(f"{t['availability']}: {a['overall']:.3f}% ({t['target']} {a['target']:.3f}%)")
    values = [d["availability"] for d in a["trend"]]
    low = min([*values, a["target"]]) if values else a["target"]
    floor = max(0.0, min(99.0, low - 0.5))
    doc.set_font("body", size=8)
    doc.cell(0, 5, t["trend"], new_x="LMARGIN", new_y="NEXT")
    bar_chart(
        doc, [[v - floor for v in values]], [GREEN], scale=100.0 - floor, target=a["target"] - floor
    )
    doc.set_font("body", size=9)
    rows = [
        [
            r["label"],
            f"{r['availability']:.3f}",
            f"{r['down_minutes']:.0f}",
            str(len(r["incidents"])),
        ]
        for r in a["rows"][:40]
    ]
    doc.grid([t["subject"], t["percent"], t["down"], t["incidents"]], rows, [90, 30, 30, 30])


def _tickets(doc: _Doc, k: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(f"{t['tickets']}: {k['opened']} / {k['resolved']}")
    doc.set_font("body", size=8)
    doc.cell(0, 5, t["volume"], new_x="LMARGIN", new_y="NEXT")
    weeks = k["weekly_volume"]
    peak = max([1] + [w["opened"] for w in weeks] + [w["resolved"] for w in weeks])
    bar_chart(
        doc,
        [[w["opened"] for w in weeks], [w["resolved"] for w in weeks]],
        [BLUE, GREEN],
        scale=peak,
    )
    doc.cell(0, 5, t["sla"], new_x="LMARGIN", new_y="NEXT")
    clocks = list(k["sla"].items())
    bar_chart(
        doc,
        [[(c["attainment"] if c["attainment"] is not None else 0) for _, c in clocks]],
        [BLUE],
        scale=100,
    )
    doc.set_font("body", size=9)
    rows = [
        [
            t[name],
            "-"
            if c["attainment"] is None
            else f"{c['attainment']:.1f}% ({c['met']}/{c['decided']})",
            "-" if c["mean_minutes"] is None else f"{c['mean_minutes']:.0f}",
            "-" if c["p90_minutes"] is None else f"{c['p90_minutes']:.0f}",
            str(c["breached"]),
        ]
        for name, c in clocks
    ]
    doc.grid(
        [t["clock"], t["attain"], t["mean"], t["p90"], t["breaches"]], rows, [40, 45, 30, 30, 30]
    )
    breaches = [(name, b) for name, c in clocks for b in c["breaches"]]
    if breaches:
        doc.ln(2)
        for name, b in breaches[:30]:
            doc.line_text(
                f"{b['ticket']} {b['priority']} · {t[name]} · {b['elapsed_minutes']:.0f}/{b['target_minutes']} · {b['subject']}"
            )


def _interfaces(doc: _Doc, rows: list[dict[str, Any]], t: dict[str, str]) -> None:
    doc.heading(t["interfaces"])
    if not rows:
        doc.line_text(t["none"])
        return
    body = [
        [
            r["name"],
            str(r["runs"]),
            str(r["failed_runs"]),
            "-" if r["on_time_percent"] is None else f"{r['on_time_percent']:.1f}%",
        ]
        for r in rows
    ]
    doc.grid([t["interfaces"], t["runs"], t["failed"], t["ontime"]], body, [90, 30, 30, 30])


def _capacity(doc: _Doc, cap: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(t["capacity"])
    if not cap["rows"]:
        doc.line_text(t["none"])
    else:
        body = [
            [r["asset"], r["resource"], f"{r['used_percent']:.1f}%", str(r["days_until_full"])]
            for r in cap["rows"]
        ]
        doc.grid([t["assets"], "", "%", t["days"]], body, [70, 40, 30, 40])
    if "utilization" in cap:
        _utilization(doc, cap["utilization"], t)


def _csat(doc: _Doc, c: dict[str, Any], t: dict[str, str]) -> None:
    score = "-" if c["score"] is None else f"{c['score']:.1f}%"
    doc.heading(f"{t['csat']}: {score}")
    doc.line_text(t["csat_line"].format(**c))


def _time(doc: _Doc, w: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(f"{t['time']}: {w['minutes']}")
    doc.line_text(
        f"{t['billable']} {w['billable_minutes']} · {t['non_billable']} {w['non_billable_minutes']}"
    )
    for key, head in (("by_work_type", t["work_type"]), ("by_category", t["category"])):
        if w[key]:
            body = [
                [r["name"], str(r["billable_minutes"]), str(r["non_billable_minutes"])]
                for r in w[key]
            ]
            doc.grid([head, t["billable"], t["non_billable"]], body, [90, 45, 45])
            doc.ln(2)


def _utilization(doc: _Doc, u: dict[str, Any], t: dict[str, str]) -> None:
    rows = [[h["asset"], t["over"], f"{h['cpu_p95']}%", f"{h['memory_p95']}%"] for h in u["over"]]
    rows += [
        [h["asset"], t["under"], f"{h['cpu_p95']}%", f"{h['memory_p95']}%"] for h in u["under"]
    ]
    doc.ln(2)
    doc.line_text(t["usage"])
    if not rows:
        doc.line_text(t["none"])
        return
    doc.grid([t["assets"], "", "CPU p95", "MEM p95"], rows, [70, 40, 35, 35])


def _assets(doc: _Doc, a: dict[str, Any], t: dict[str, str]) -> None:
    doc.heading(f"{t['assets']}: {t['total']} {a['total']}")
    doc.line_text(" · ".join(f"{k} {v}" for k, v in a["by_role"].items()) or t["none"])
    doc.line_text(" · ".join(f"{k} {v}" for k, v in a["by_os"].items()) or t["none"])
    soon = a["warranty_6m"] + a["eol_6m"]
    doc.line_text(
        f"{t['lifecycle']}: " + (", ".join(f"{x['name']} {x['date']}" for x in soon) or t["none"])
    )


CHART_HEIGHT = 35.0
CHART_WIDTH = 180.0


def bar_chart(
    doc: FPDF,
    series: list[list[float]],
    colours: list[tuple[int, int, int]],
    *,
    scale: float,
    target: float | None = None,
) -> None:
    """Grouped bars, one group per position, at the cursor; moves the cursor below the chart."""
    x0, y0 = doc.l_margin, doc.get_y()
    if y0 + CHART_HEIGHT > doc.h - doc.b_margin:
        doc.add_page()
        y0 = doc.get_y()
    doc.set_draw_color(*GREY)
    doc.rect(x0, y0, CHART_WIDTH, CHART_HEIGHT)
    groups = max((len(s) for s in series), default=0)
    if groups and scale > 0:
        slot = CHART_WIDTH / groups
        width = slot * 0.8 / len(series)
        for i, values in enumerate(series):
            doc.set_fill_color(*colours[i % len(colours)])
            for j, v in enumerate(values):
                h = max(0.0, min(1.0, v / scale)) * (CHART_HEIGHT - 2)
                if h > 0:
                    doc.rect(
                        x0 + j * slot + slot * 0.1 + i * width,
                        y0 + CHART_HEIGHT - h,
                        width,
                        h,
                        style="F",
                    )
    if target is not None and scale > 0:
        doc.set_draw_color(*RED)
        y = y0 + CHART_HEIGHT - min(1.0, target / scale) * (CHART_HEIGHT - 2)
        doc.line(x0, y, x0 + CHART_WIDTH, y)
    doc.set_draw_color(0, 0, 0)
    doc.set_y(y0 + CHART_HEIGHT + 2)
