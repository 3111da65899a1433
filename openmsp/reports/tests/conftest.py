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
