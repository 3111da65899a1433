"""The summary at the top of a report: sentences written from the figures by rules, in the
client's language. Not gettext: the report's language is the client's, not the viewer's, and a
report must read the same whoever opens or regenerates it."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Monthly service report",
        "avail_met": "Availability was {overall:.3f}%, meeting the contract target of {target:.3f}%.",
        "avail_missed": "Availability was {overall:.3f}%, below the contract target of {target:.3f}% ({down:.0f} minutes of downtime).",
        "below": "Needs attention: {names} stayed below the target.",
        "tickets": "{opened} tickets were opened and {resolved} resolved.",
        "sla_ok": "Every SLA clock decided this month was met.",
        "sla_breach": "{breached} SLA clock(s) were breached; resolution attainment was {resolution}.",
        "no_tickets": "No tickets were opened this month.",
        "capacity": "{count} resource(s) are forecast to fill within {horizon} days; the first in {days} days ({asset} {resource}).",
        "lifecycle": "{count} asset(s) reach end of warranty or end of life within 6 months.",
        "interfaces_ok": "All scheduled interface runs completed on time.",
        "interfaces_late": "Interface runs on time: {names}.",
        "csat": "Customers rated {score:.1f}% of {answered} answered surveys good.",
        "overused": "Consistently over-used (p95 CPU or memory): {names}.",
        "underused": "Nearly idle all month, candidates to consolidate: {names}.",
    },
    "ko": {
        "title": "월간 서비스 보고서",
        "avail_met": "가용성은 {overall:.3f}%로 계약 목표 {target:.3f}%를 달성했습니다.",
        "avail_missed": "가용성은 {overall:.3f}%로 계약 목표 {target:.3f}%에 미달했습니다 (중단 {down:.0f}분).",
        "below": "주의 필요: {names} 항목이 목표에 미달했습니다.",
        "tickets": "티켓 {opened}건이 접수되고 {resolved}건이 해결되었습니다.",
        "sla_ok": "이번 달 판정된 SLA 시계는 모두 준수되었습니다.",
        "sla_breach": "SLA 위반 {breached}건이 있었습니다. 해결 시간 준수율은 {resolution}입니다.",
        "no_tickets": "이번 달 접수된 티켓이 없습니다.",
        "capacity": "{count}개 자원이 {horizon}일 안에 가득 찰 것으로 예측됩니다. 가장 빠른 것은 {days}일 후입니다 ({asset} {resource}).",
        "lifecycle": "자산 {count}대가 6개월 안에 보증 만료 또는 지원 종료(EOL)에 도달합니다.",
        "interfaces_ok": "예정된 인터페이스 실행이 모두 제시간에 완료되었습니다.",
        "interfaces_late": "인터페이스 정시 완료율: {names}.",
        "csat": "응답한 설문 {answered}건 중 {score:.1f}%가 '좋음'으로 평가했습니다.",
        "overused": "지속적으로 과다 사용된 호스트 (CPU 또는 메모리 p95): {names}.",
        "underused": "한 달 내내 거의 유휴 상태로 통합 검토 대상: {names}.",
    },
}


def language_of(code: str) -> str:
    return "ko" if (code or "").lower().startswith("ko") else "en"


def title(language: str) -> str:
    return TEXT[language_of(language)]["title"]


def sentences(figures: dict[str, Any], language: str) -> list[str]:
    t = TEXT[language_of(language)]
    out: list[str] = []
    a = figures["availability"]
    key = "avail_met" if a["met"] else "avail_missed"
    out.append(t[key].format(overall=a["overall"], target=a["target"], down=a["down_minutes"]))
    if a["below_target"]:
        out.append(t["below"].format(names=", ".join(a["below_target"][:5])))
    k = figures["tickets"]
    if k["opened"] or k["resolved"]:
        out.append(t["tickets"].format(opened=k["opened"], resolved=k["resolved"]))
    else:
        out.append(t["no_tickets"])
    breached = sum(c["breached"] for c in k["sla"].values())
    if breached:
        res = k["sla"]["resolution"]["attainment"]
        out.append(
            t["sla_breach"].format(
                breached=breached, resolution="-" if res is None else f"{res:.1f}%"
            )
        )
    elif any(c["decided"] for c in k["sla"].values()):
        out.append(t["sla_ok"])
    late = [
        i
        for i in figures["interfaces"]
        if i["on_time_percent"] is not None and i["on_time_percent"] < 100
    ]
    if late:
        names = ", ".join(f"{i['name']} {i['on_time_percent']:.1f}%" for i in late[:5])
        out.append(t["interfaces_late"].format(names=names))
    elif any(i["scheduled"] for i in figures["interfaces"]):
        out.append(t["interfaces_ok"])
    cap = figures["capacity"]
    if cap["rows"]:
        first = cap["rows"][0]
        out.append(
            t["capacity"].format(
                count=len(cap["rows"]),
                horizon=cap["horizon_days"],
                days=first["days_until_full"],
                asset=first["asset"],
                resource=first["resource"],
            )
        )
    c = figures.get("csat")
    if c and c["answered"]:
        out.append(t["csat"].format(score=c["score"], answered=c["answered"]))
    usage = cap.get("utilization") or {}
    for key in ("over", "under"):
        if usage.get(key):
            names = ", ".join(h["asset"] for h in usage[key][:5])
            out.append(t[f"{key}used"].format(names=names))
    soon = {x["name"] for x in figures["assets"]["warranty_6m"] + figures["assets"]["eol_6m"]}
    if soon:
        out.append(t["lifecycle"].format(count=len(soon)))
    return out
