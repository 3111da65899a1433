"""The dashboards: every client at a glance for MSP staff (worst first, sortable, a fixed number
of queries whatever the number of clients, a technician sees only their clients), the drill-down
to one client, and a client user's own dashboard in the portal.

The instant: Tuesday 2026-11-10 10:00 KST; November so far = 9 days 10 hours = 13,560 minutes.
Hanbit (A): contract 24x7, P4 first response 60 min, target 99.9 %.
- "ERP web" critical since 08:00 (120 min down); "VPN" warning since 09:00 (degraded, not
  down). Two services: (2 x 13,560 - 120) / (2 x 13,560) = 99.5575 % < 99.9; today so far
  (1,200 - 120) / 1,200 = 90.0 %. Hosts erp-01 online, db-01 offline.
- T1 opened 08:00: first response due 09:00, breached (the deadline job has run).
- T2 opened 09:10: due 10:10, its 75 % warning fell due at 09:55 and has fired (the contract's
  targets warn at 75 % when no SLA policy matches; the escalation job writes the SlaFiring row).
- T3 opened 09:50, waiting on customer (pending): due 10:50, warning at 10:35: not yet.
  Open tickets: new 2, pending 1; SLA at risk: 1 breached, 1 warning reached.
  First response decided this month: T1 breached -> attainment 0.0 %.
Saebom (B): one host online, one open ticket without SLA. Areum (C): nothing at all.
Worst first: Hanbit, then Areum and Saebom (nothing wrong, by name).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmsp.alerts.models import Problem, ProblemEvent
from openmsp.assets import actions as asset_actions
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.monitoring import actions as check_actions
from openmsp.servicedesk import actions as desk
from openmsp.servicedesk import clocks, escalation
from openmsp.servicedesk.models import SlaFiring
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client
from openmsp.web.testing import speaking

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
KST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 10, 10, 0, tzinfo=KST)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return NOW.replace(hour=hour, minute=minute)


def problem(client: Client, check: Any, severity: str, since: dt.datetime) -> Problem:
    p = Problem.objects.create(
        client=client, fingerprint=f"check:{check.pk}", source="check", rule="tcp",
        object_type="monitoring.check", object_id=str(check.pk), asset=check.asset,
        title=f"{check.name} {severity}", severity=severity, state="firing", last_status="bad",
        first_seen_at=since, last_seen_at=NOW, fired_at=since,
    )  # fmt: skip
    ProblemEvent.objects.create(problem=p, at=since, kind="fired", state="firing",
                                severity=severity)  # fmt: skip
    return p


def host(client: Client, name: str, status: str) -> Asset:
    a = asset_actions.create_asset(actor=SYSTEM, client=client, name=name)
    Asset.objects.filter(pk=a.pk).update(status=status)
    return a


def ticket(client: Client, subject: str, opened: dt.datetime, time_machine: Any, **kw: Any) -> Any:
    time_machine.move_to(opened, tick=False)
    return desk.open_ticket(actor=SYSTEM, client=client, subject=subject, body="-", **kw)


def seed_client(client: Client, time_machine: Any, *, tag: str = "") -> None:
    """A client with one of everything the dashboard counts (for the query-count test)."""
    time_machine.move_to(at(7), tick=False)
    h = host(client, f"h{tag}", "offline")
    check = check_actions.create_check(actor=SYSTEM, client=client, kind="tcp", name=f"c{tag}",
                                       target="127.0.0.1", settings={"port": 1}, asset=h)  # fmt: skip
    problem(client, check, "critical", at(8))
    ticket(client, f"t{tag}", at(8), time_machine)
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def world(client_a: Client, client_b: Client, time_machine: Any) -> dict[str, Any]:
    time_machine.move_to(at(7), tick=False)
    client_c = tenant_actions.create_client(actor=SYSTEM, name="Areum Foods", code="areum")
    tenant_actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA", start_date=dt.date(2026, 1, 1),
        support_hours="24x7", availability_target="99.900",
        sla_targets=[{"priority": "P4", "first_response_minutes": 60, "resolution_minutes": 480}],
    )  # fmt: skip
    erp = host(client_a, "erp-01", "online")
    host(client_a, "db-01", "offline")
    host(client_b, "lims-01", "online")
    web = check_actions.create_check(actor=SYSTEM, client=client_a, kind="tcp", name="ERP web",
                                     target="127.0.0.1", settings={"port": 443}, asset=erp)  # fmt: skip
    vpn = check_actions.create_check(actor=SYSTEM, client=client_a, kind="tcp", name="VPN",
                                     target="127.0.0.1", settings={"port": 1194})  # fmt: skip
    problem(client_a, web, "critical", at(8))
    problem(client_a, vpn, "warning", at(9))
    t1 = ticket(client_a, "ERP down", at(8), time_machine)
    t2 = ticket(client_a, "Slow VPN", at(9, 10), time_machine)
    t3 = ticket(client_a, "New laptop", at(9, 50), time_machine)
    desk.change_status(actor=SYSTEM, ticket=t3, status="waiting_on_customer")
    ticket(client_b, "Label printer", at(9, 30), time_machine)
    time_machine.move_to(NOW, tick=False)
    clocks.run_deadlines(NOW)
    escalation.run(NOW)
    # The contract's own targets warn at 75 % (clocks.FALLBACK_WARN_PERCENT): the job fired it.
    assert SlaFiring.objects.filter(ticket=t2, clock="first_response", key="warning").exists()
    return {"a": client_a, "b": client_b, "c": client_c, "t1": t1}


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-client="([^"]+)"', html)


def cell(html: str, code: str, name: str) -> str:
    row = html.split(f'<tr data-client="{code}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(rf'data-count="{name}">(\d+)', row)
    assert found, (code, name)
    return found[1]


def test_staff_see_every_client_worst_first_with_its_figures(
    world: Any, msp_owner: Any, web_as: Any
) -> None:
    html = web_as(speaking(msp_owner, "en")).get(reverse("msp_dashboard")).content.decode()
    assert rows_of(html) == ["hanbit", "areum", "saebom"]
    assert [cell(html, "hanbit", n) for n in ("critical", "warning", "sla-breached", "sla-warning",
                                              "tickets")] == ["1", "1", "1", "1", "3"]  # fmt: skip
    assert cell(html, "hanbit", "offline") == "1"
    assert 'data-availability="99.5575"' in html
    assert cell(html, "saebom", "tickets") == "1"
    assert cell(html, "saebom", "sla-breached") == "0"
    hanbit = html.split('<tr data-client="hanbit"', 1)[1].split("</tr>", 1)[0]
    assert "New 2" in hanbit
    assert "Pending 1" in hanbit
    assert f'href="{reverse("client_dashboard", args=[world["a"].pk])}"' in hanbit


def test_the_table_sorts_by_a_column_and_refuses_an_unknown_order(
    world: Any, msp_owner: Any, web_as: Any
) -> None:
    http = web_as(speaking(msp_owner, "en"))
    assert rows_of(http.get(reverse("msp_dashboard") + "?sort=name").content.decode()) == [
        "areum", "hanbit", "saebom",
    ]  # fmt: skip
    by_tickets = http.get(reverse("msp_dashboard") + "?sort=tickets").content.decode()
    assert rows_of(by_tickets) == ["hanbit", "saebom", "areum"]
    bad = http.get(reverse("msp_dashboard") + "?sort=sideways")
    assert bad.status_code == 422
    assert "&#x27;sideways&#x27; is not a sort order" in bad.content.decode()
    ko = web_as(speaking(msp_owner, "ko")).get(reverse("msp_dashboard") + "?sort=sideways")
    assert "정렬 순서가 아닙니다" in ko.content.decode()


def test_a_technician_limited_to_some_clients_sees_only_theirs(
    world: Any, tech_b: Any, web_as: Any
) -> None:
    http = web_as(tech_b)
    assert rows_of(http.get(reverse("msp_dashboard")).content.decode()) == ["saebom"]
    assert http.get(reverse("client_dashboard", args=[world["a"].pk])).status_code == 404
    assert http.get(reverse("client_dashboard", args=[world["b"].pk])).status_code == 200


def test_the_page_costs_a_fixed_number_of_queries_whatever_the_number_of_clients(
    world: Any, msp_owner: Any, web_as: Any, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    http = web_as(msp_owner)
    http.get(reverse("msp_dashboard"))  # warm the session and translations
    with CaptureQueriesContext(connection) as three:
        assert http.get(reverse("msp_dashboard")).status_code == 200
    for i in range(8):
        c = tenant_actions.create_client(actor=SYSTEM, name=f"Extra {i}", code=f"extra{i}")
        seed_client(c, time_machine, tag=str(i))
    with django_assert_max_num_queries(len(three.captured_queries)):
        html = http.get(reverse("msp_dashboard")).content.decode()
    assert len(rows_of(html)) == 11
    assert len(three.captured_queries) <= 20


def test_a_client_user_opens_their_own_dashboard_and_nobody_elses(
    world: Any, alice: Any, charlie: Any, web_as: Any
) -> None:
    http = web_as(speaking(alice, "en"))
    start = http.get(reverse("msp_dashboard"))
    own = reverse("client_dashboard", args=[world["a"].pk])
    assert (start.status_code, start["Location"]) == (302, own)
    html = http.get(own).content.decode()
    assert 'id="availability-figure" class="text-critical">99.558%' in html
    assert 'data-count="offline">1' in html
    assert 'data-count="critical">1' in html
    assert '<span id="open-ticket-count">3</span>' in html
    first = html.split('<tr data-clock="first_response">', 1)[1].split("</tr>", 1)[0]
    assert "<td>0.0%</td><td>0</td><td>1</td>" in first
    charts = json.loads(
        html.split('id="report-charts" type="application/json">', 1)[1].split("</script>", 1)[0]
    )
    assert charts["trend"]["labels"][0] == "2026-11-01"
    assert len(charts["trend"]["labels"]) == 10
    assert charts["trend"]["values"][9] == 90.0  # today 00:00-10:00
    assert charts["sla"]["values"][0] == 0.0
    assert web_as(charlie).get(own).status_code == 404


def test_the_dashboards_speak_korean_and_english(
    world: Any, msp_owner: Any, alice: Any, web_as: Any
) -> None:
    ko = web_as(speaking(msp_owner, "ko")).get(reverse("msp_dashboard")).content.decode()
    en = web_as(speaking(msp_owner, "en")).get(reverse("msp_dashboard")).content.decode()
    assert "고객사 한눈에 보기" in ko
    assert "Clients at a glance" in en
    own = reverse("client_dashboard", args=[world["a"].pk])
    assert "이번 달 SLA 준수율" in web_as(speaking(alice, "ko")).get(own).content.decode()
    assert "SLA attainment this month" in web_as(speaking(alice, "en")).get(own).content.decode()
