"""A seeded client for October 2026 (Asia/Seoul), with figures worked out by hand.

The month: 2026-10-01 00:00 KST .. 2026-11-01 00:00 KST = 31 days = 44,640 minutes.

Availability of the check "ERP web" (on host erp-01), contract target 99.9 %:
- 10-05 10:00-11:00 KST critical, no maintenance: 60 minutes down.
- 10-11 (Sunday) 02:30-03:30 critical, inside the weekly "Sunday patching" window
  (cron 0 2 * * 0, 120 minutes, does NOT count against availability, scoped to erp-01):
  excluded. The window's four Sundays (4, 11, 18, 25) cut 4 x 120 = 480 minutes from the
  counted time: 44,640 - 480 = 44,160 counted minutes.
- 10-20 22:00-23:30 critical, inside the one-off "DB upgrade" window that DOES count: 90 down.
Down 150 of 44,160 counted minutes: (44,160 - 150) / 44,160 = 99.6603 % (target missed).

Tickets (P4: first response 60, resolution 480 working minutes; Mon-Fri 09-12 and 13-18, KR
public holidays):
- A opened Thu 10-08 16:00, staff reply 16:30 (first response 30 min, met), resolved Mon 10-12
  14:00. Fri 10-09 is Hangul Day (한글날): the clock stands still over it and the weekend.
  Thu 16-18 = 120, Mon 09-12 = 180, 13-14 = 60: 360 minutes, met (without the holiday it would
  be 120 + 480 + 240 = 840, a breach).
- B opened Wed 10-14 10:00, staff reply 11:30 (90 min: breached at 11:00), resolved Thu 10-15
  11:00: Wed 10-12 = 120, 13-18 = 300, Thu 09-11 = 120: 540 minutes, breached at Thu 10:00.
First response 1/2 = 50 %, mean (30 + 90) / 2 = 60, p90 (nearest rank) 90.
Resolution 1/2 = 50 %, mean (360 + 540) / 2 = 450, p90 540.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from openmsp.alerts import actions as alert_actions
from openmsp.alerts.models import Problem, ProblemEvent
from openmsp.assets import actions as asset_actions
from openmsp.core.actor import Actor
from openmsp.monitoring import actions as check_actions
from openmsp.servicedesk import actions as desk
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import BusinessCalendar, Client

SYSTEM = Actor.system("test")
KST = dt.timezone(dt.timedelta(hours=9))
MONTH = dt.date(2026, 10, 1)
AFTER = dt.datetime(2026, 11, 3, 9, 0, tzinfo=KST)


def drain() -> None:
    """Run every queued job in a real worker (django_tasks_db's db_worker), then return."""
    call_command(
        "db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0, reload=False
    )


def kst(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=KST)


def _problem(
    client: Client, check: Any, host: Any, title: str, start: dt.datetime, end: dt.datetime
) -> Problem:
    p = Problem.objects.create(
        client=client, fingerprint=f"check:{check.pk}:{title}", source="check",
        object_type="monitoring.check", object_id=str(check.pk), rule="http", asset=host,
        title=title, severity="critical", state="resolved", last_status="ok",
        first_seen_at=start, last_seen_at=end, fired_at=start, resolved_at=end,
    )  # fmt: skip
    ProblemEvent.objects.create(
        problem=p, at=start, kind="fired", state="firing", severity="critical"
    )
    ProblemEvent.objects.create(
        problem=p, at=end, kind="resolved", state="resolved", severity="critical"
    )
    return p


@pytest.fixture
def seeded(client_a: Client, time_machine: Any) -> dict[str, Any]:
    tenant_actions.update_client(actor=SYSTEM, client=client_a, changes={"language": "ko"})
    calendar = BusinessCalendar.objects.get(client=client_a)
    tenant_actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA 2026", start_date=dt.date(2026, 1, 1),
        calendar=calendar, support_hours="calendar", availability_target="99.900",
        report_recipients=["it@hanbit.example"],
        sla_targets=[{"priority": "P4", "first_response_minutes": 60, "resolution_minutes": 480}],
    )  # fmt: skip
    time_machine.move_to(kst(1, 0) - dt.timedelta(days=3), tick=False)
    host = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="erp-01")
    check = check_actions.create_check(
        actor=SYSTEM, client=client_a, kind="tcp", name="ERP web", target="127.0.0.1",
        settings={"port": 443}, asset=host,
    )  # fmt: skip
    alert_actions.create_window(
        actor=SYSTEM, client=client_a, name="Sunday patching", cron="0 2 * * 0",
        duration_minutes=120, asset=host,
    )  # fmt: skip
    alert_actions.create_window(
        actor=SYSTEM, client=client_a, name="DB upgrade", starts_at=kst(20, 22), ends_at=kst(21, 0),
        asset=host, counts_against_availability=True,
    )  # fmt: skip
    _problem(client_a, check, host, "ERP web down", kst(5, 10), kst(5, 11))
    _problem(client_a, check, host, "ERP web patch reboot", kst(11, 2, 30), kst(11, 3, 30))
    _problem(client_a, check, host, "ERP web DB upgrade", kst(20, 22), kst(20, 23, 30))

    def ticket(
        subject: str, opened: dt.datetime, replied: dt.datetime, resolved: dt.datetime
    ) -> Any:
        time_machine.move_to(opened, tick=False)
        t = desk.open_ticket(actor=SYSTEM, client=client_a, subject=subject, body="-")
        time_machine.move_to(replied, tick=False)
        desk.reply(actor=SYSTEM, ticket=t, body="Looking at it.")
        time_machine.move_to(resolved, tick=False)
        desk.change_status(actor=SYSTEM, ticket=t, status="resolved")
        return t

    a = ticket("VPN slow", kst(8, 16), kst(8, 16, 30), kst(12, 14))
    b = ticket("Printer offline", kst(14, 10), kst(14, 11, 30), kst(15, 11))
    time_machine.move_to(AFTER, tick=False)
    return {"client": client_a, "check": check, "host": host, "a": a, "b": b}


# --- The fourth quarter of 2026 (QBR), on top of October above ------------------------------
# Q4 2026 = October, November, December (Asia/Seoul), worked out by hand:
#
# Availability of "ERP web" (the only monitored service):
# - Counted minutes: October 44,160 (above); November 30 days = 43,200 minus five Sunday
#   patching windows (1, 8, 15, 22, 29) of 120 = 42,600; December 44,640 minus four (6, 13, 20,
#   27) = 44,160. Quarter: 130,920 counted minutes.
# - A recurring "ERP disk full" problem (one fingerprint): problem row 1 fires Tue 11-03 10:00,
#   resolves 10:30, reopens Tue 11-17 14:00, resolves 15:00 (30 + 60 minutes); row 2 fires Tue
#   12-08 09:00, resolves 09:45 (45). Three occurrences, 135 minutes. None inside a window.
# - Down: October 150, November 90, December 45 = 285. Quarter (130,920 - 285) / 130,920 =
#   99.7823 %. November (42,600 - 90) / 42,600 = 99.7887 %; December 99.8981 %.
# - The October problems have one fingerprint each (one occurrence): not recurring.
# CSAT: October good + bad = 50 %; November no answers; December good = 100 %.
# Time (date in the quarter): A (category Network) 10-08 90 min remote billable, 11-20 60 min
# onsite billable; B (no category) 10-14 30 min remote not billable; 2027-01-02 45 min billable is
# outside. Billable 150, non-billable 30; Network 150/0, "-" 0/30; remote 90/30, onsite 60/0.
# Fee: fixed monthly 1,500,000 KRW x 3 = 4,500,000 KRW.
# Lifecycle at the quarter's end (2027-01-01): old-nas end of life 2026-11-30 (passed: replace),
# fw-01 warranty until 2027-05-15 (within 6 months), sw-01 end of life 2027-10-01 (12 months).

QUARTER = dt.date(2026, 10, 1)
AFTER_QUARTER = dt.datetime(2027, 1, 5, 9, 0, tzinfo=KST)


def _event(p: Problem, at: dt.datetime, kind: str, state: str) -> None:
    ProblemEvent.objects.create(problem=p, at=at, kind=kind, state=state, severity="critical")


@pytest.fixture
def quarter(seeded: dict[str, Any], msp_owner: Any, time_machine: Any) -> dict[str, Any]:
    from openmsp.servicedesk.models import Category, CsatSurvey, TimeEntry
    from openmsp.tenants.models import Contract

    client, check, host = seeded["client"], seeded["check"], seeded["host"]
    contract = Contract.objects.get(client=client)
    tenant_actions.update_contract(
        actor=SYSTEM,
        contract=contract,
        changes={"rate": "1500000", "billing_model": "fixed_monthly"},
    )
    fp = f"check:{check.pk}:disk"
    common = {
        "client": client, "fingerprint": fp, "source": "check", "object_type": "monitoring.check",
        "object_id": str(check.pk), "rule": "disk", "asset": host, "title": "ERP disk full",
        "severity": "critical", "state": "resolved", "last_status": "ok",
    }  # fmt: skip
    one = Problem.objects.create(
        **common, first_seen_at=kst(3, 10, month=11), last_seen_at=kst(17, 15, month=11),
        fired_at=kst(3, 10, month=11), resolved_at=kst(17, 15, month=11), reopen_count=1,
    )  # fmt: skip
    _event(one, kst(3, 10, month=11), "fired", "firing")
    _event(one, kst(3, 10, 30, month=11), "resolved", "resolved")
    _event(one, kst(17, 14, month=11), "reopened", "firing")
    _event(one, kst(17, 15, month=11), "resolved", "resolved")
    two = Problem.objects.create(
        **common, first_seen_at=kst(8, 9, month=12), last_seen_at=kst(8, 9, 45, month=12),
        fired_at=kst(8, 9, month=12), resolved_at=kst(8, 9, 45, month=12),
    )  # fmt: skip
    _event(two, kst(8, 9, month=12), "fired", "firing")
    _event(two, kst(8, 9, 45, month=12), "resolved", "resolved")

    network = Category.objects.create(client=client, name="Network")
    a, b = seeded["a"], seeded["b"]
    type(a).objects.filter(pk=a.pk).update(category=network)
    for ticket, day, minutes, work, billable in (
        (a, dt.date(2026, 10, 8), 90, "remote", True),
        (b, dt.date(2026, 10, 14), 30, "remote", False),
        (a, dt.date(2026, 11, 20), 60, "onsite", True),
        (a, dt.date(2027, 1, 2), 45, "remote", True),
    ):
        TimeEntry.objects.create(
            client=client, ticket=ticket, technician=msp_owner, date=day, minutes=minutes,
            work_type=work, billable=billable,
        )  # fmt: skip
    for ticket, at, rating in (
        (a, kst(13, 9), "good"),
        (b, kst(16, 9), "bad"),
        (b, kst(1, 9, month=12), "good"),
    ):
        CsatSurvey.objects.create(
            client=client, ticket=ticket, status="answered", send_after=at, rating=rating,
            answered_at=at,
        )  # fmt: skip
    for name, field, day in (
        ("old-nas", "end_of_life", dt.date(2026, 11, 30)),
        ("fw-01", "warranty_until", dt.date(2027, 5, 15)),
        ("sw-01", "end_of_life", dt.date(2027, 10, 1)),
    ):
        asset_actions.create_asset(actor=SYSTEM, client=client, name=name, **{field: day})
    time_machine.move_to(AFTER_QUARTER, tick=False)
    return {**seeded, "fingerprint": fp}
