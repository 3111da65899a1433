"""The QBR's sentences: capacity and lifecycle recommendations and the meeting agenda, written by
rules from the figures in the client's language (like `summary`, not gettext: the review reads
the same whoever opens it)."""

from __future__ import annotations

from typing import Any

from openmsp.reports import qbr
from openmsp.reports.summary import language_of

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Quarterly business review",
        "eol_passed": "Replace {name}: its end of life was {date}.",
        "eol_6m": "Plan the replacement of {name}: it reaches end of life on {date} (within 6 months).",
        "eol_12m": "Budget next year for {name}: end of life on {date} (within 12 months).",
        "warranty_passed": "Renew the warranty of {name} or replace it: the warranty ended on {date}.",
        "warranty_6m": "Renew the warranty of {name} before {date} (within 6 months).",
        "warranty_12m": "Review the warranty of {name}: it ends on {date} (within 12 months).",
        "disk": "Extend {resource} on {asset}: {used:.1f}% used, growing {growth:.2f} points a day, full in about {days} days.",
        "over": "Upgrade {asset}: CPU was at or above 80% in {busy:.0f}% of the hours measured (mean {mean:.1f}%).",
        "under": "Consider consolidating or retiring {asset}: CPU p95 was {p95:.1f}% over the quarter.",
        "none": "No replacement, upgrade or retirement is needed from this quarter's figures.",
        "a_review": "Review of {quarter}: availability {availability:.3f}% against the target of {target:.3f}%",
        "a_service": "Service desk: {opened} tickets opened, {resolved} resolved, {breached} SLA breaches",
        "a_csat": "Customer satisfaction: {percent:.1f}% good ({answered} answers)",
        "a_recurring": "Recurring problems and their root causes: {names}",
        "a_no_recurring": "Recurring problems: none this quarter",
        "a_recommend": "Recommendations: {count} (replace, upgrade or retire)",
        "a_cost": "Cost: contract fee {fee}; {billable} billable hours, {non_billable} non-billable",
        "a_actions": "Open action items from earlier reviews: {count}",
        "a_next": "Priorities for next quarter and the next review date",
        "mail_intro": "Please find attached the quarterly business review of {quarter} for {client}.",
        "mail_agenda": "Agenda of the review meeting:",
    },
    "ko": {
        "title": "분기 업무 검토 (QBR)",
        "eol_passed": "{name} 교체 필요: 지원 종료(EOL)일 {date}이 지났습니다.",
        "eol_6m": "{name} 교체 계획 필요: {date}에 지원 종료(EOL)됩니다 (6개월 이내).",
        "eol_12m": "{name} 교체 예산 반영: {date}에 지원 종료(EOL)됩니다 (12개월 이내).",
        "warranty_passed": "{name} 보증 갱신 또는 교체 필요: 보증이 {date}에 만료되었습니다.",
        "warranty_6m": "{name} 보증을 {date} 전에 갱신하세요 (6개월 이내).",
        "warranty_12m": "{name} 보증 검토: {date}에 만료됩니다 (12개월 이내).",
        "disk": "{asset}의 {resource} 증설 필요: 사용률 {used:.1f}%, 하루 {growth:.2f}%p 증가, 약 {days}일 후 가득 찹니다.",
        "over": "{asset} 사양 상향 권장: 측정 시간의 {busy:.0f}% 동안 CPU가 80% 이상이었습니다 (평균 {mean:.1f}%).",
        "under": "{asset} 통합 또는 폐기 검토: 분기 CPU p95가 {p95:.1f}%였습니다.",
        "none": "이번 분기 수치로는 교체, 증설 또는 폐기가 필요한 자산이 없습니다.",
        "a_review": "{quarter} 검토: 가용성 {availability:.3f}% (목표 {target:.3f}%)",
        "a_service": "서비스 데스크: 티켓 {opened}건 접수, {resolved}건 해결, SLA 위반 {breached}건",
        "a_csat": "고객 만족도: 만족 {percent:.1f}% (응답 {answered}건)",
        "a_recurring": "반복 장애와 근본 원인: {names}",
        "a_no_recurring": "반복 장애: 이번 분기 없음",
        "a_recommend": "권고 사항: {count}건 (교체, 증설 또는 폐기)",
        "a_cost": "비용: 계약 요금 {fee}, 청구 가능 {billable}시간, 청구 불가 {non_billable}시간",
        "a_actions": "이전 검토의 미완료 조치 항목: {count}건",
        "a_next": "다음 분기 우선순위와 다음 검토 일정",
        "mail_intro": "{client}의 {quarter} 분기 업무 검토 보고서를 첨부합니다.",
        "mail_agenda": "검토 회의 안건:",
    },
}


def title(language: str) -> str:
    return TEXT[language_of(language)]["title"]


def mail_body(language: str, client: str, quarter: str, agenda: list[str]) -> list[str]:
    """The lines of the e-mail that carries the review's PDF: what it is and the agenda."""
    t = TEXT[language_of(language)]
    lines = [t["title"], "", t["mail_intro"].format(client=client, quarter=quarter)]
    if agenda:
        lines += ["", t["mail_agenda"], *(f"{i}. {item}" for i, item in enumerate(agenda, 1))]
    return lines


def recommendations(
    *,
    assets: dict[str, Any],
    capacity: list[dict[str, Any]],
    utilisation: list[dict[str, Any]],
    quarter_end: str,
    language: str,
) -> list[dict[str, str]]:
    """What to replace, upgrade or retire, one sentence each, most urgent kind first. An asset
    is named once per date kind, under the most urgent bucket it falls in."""
    t = TEXT[language_of(language)]
    out: list[dict[str, str]] = []
    for kind, soon, later in (
        ("eol", assets["eol_6m"], assets["eol_12m"]),
        ("warranty", assets["warranty_6m"], assets["warranty_12m"]),
    ):
        seen: set[str] = set()
        for x in soon:
            key = f"{kind}_passed" if x["date"] < quarter_end else f"{kind}_6m"
            out.append({"kind": key, "subject": x["name"], "text": t[key].format(**x)})
            seen.add(x["name"])
        for x in later:
            if x["name"] not in seen:
                key = f"{kind}_12m"
                out.append({"kind": key, "subject": x["name"], "text": t[key].format(**x)})
    for c in capacity:
        text = t["disk"].format(
            asset=c["asset"], resource=c["resource"], used=c["used_percent"],
            growth=c["growth_per_day"], days=c["days_until_full"],
        )  # fmt: skip
        out.append({"kind": "disk", "subject": c["asset"], "text": text})
    for u in utilisation:
        text = t[u["state"]].format(
            asset=u["asset"], busy=u["busy_percent"], mean=u["mean"], p95=u["p95"]
        )
        out.append({"kind": u["state"], "subject": u["asset"], "text": text})
    return out


def agenda(figures: dict[str, Any], language: str, *, open_actions: int) -> list[str]:
    """The review meeting's agenda, from the figures; staff edit it before the meeting."""
    t = TEXT[language_of(language)]
    tr, cost = figures["trends"], figures["cost"]
    items = [
        t["a_review"].format(
            quarter=figures["period"]["quarter"],
            availability=tr["availability"],
            target=tr["target"],
        ),
        t["a_service"].format(
            opened=tr["opened"], resolved=tr["resolved"], breached=tr["breached"]
        ),
    ]
    answered = [m["csat"] for m in tr["months"] if m["csat"]]
    if answered:
        good, total = sum(c["good"] for c in answered), sum(c["answered"] for c in answered)
        items.append(t["a_csat"].format(percent=100.0 * good / total, answered=total))
    rec = figures["recurring"]
    if rec:
        names = ", ".join(f"{r['title']} ×{r['occurrences']}" for r in rec[:3])
        items.append(t["a_recurring"].format(names=names))
    else:
        items.append(t["a_no_recurring"])
    items.append(t["a_recommend"].format(count=len(figures["recommendations"])))
    items.append(
        t["a_cost"].format(
            fee=qbr.money(cost["fee"], cost["currency"]),
            billable=qbr.hours(cost["billable_minutes"]),
            non_billable=qbr.hours(cost["non_billable_minutes"]),
        )
    )
    if open_actions:
        items.append(t["a_actions"].format(count=open_actions))
    items.append(t["a_next"])
    return items
