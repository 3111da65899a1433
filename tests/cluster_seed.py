"""The data the scale-out tests load the cluster with, made through the real actions in the
cluster's own database (run by tests/cluster.py's `Cluster.python`, which prints the JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openmsp.accounts import actions as account_actions
from openmsp.accounts.roles import Role
from openmsp.agent_api import actions as agent_actions
from openmsp.agent_api.agent_actions import enroll
from openmsp.agent_api.schemas import EnrollIn
from openmsp.core.actor import Actor
from openmsp.heartbeats import actions as heartbeat_actions
from openmsp.monitoring import actions as check_actions
from openmsp.notifications.tests.factories import email_channel, route
from openmsp.servicedesk import actions as desk
from openmsp.servicedesk import policy_actions
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import BusinessCalendar
from tests import cluster_tasks

SYSTEM = Actor.system("cluster-test")
NOC = "noc@hanbit.example"
REPORT_TO = "it@hanbit.example"
TECH = "tech@msp.example"


def seed(
    *, tcp_port: int, closed_port: int, agents: int, heartbeats: int, checks: int
) -> dict[str, Any]:
    cluster_tasks.create_table()
    client = tenant_actions.create_client(actor=SYSTEM, name="Hanbit Logistics", code="hanbit")
    tenant_actions.update_client(actor=SYSTEM, client=client, changes={"language": "en"})
    route(client, email_channel(client, NOC), name="Critical", severities=["critical"],
          group_wait_seconds=0, group_interval_seconds=5)  # fmt: skip
    # last month's report is due (the contract began before it) and is mailed to REPORT_TO
    today = dt.date.today()
    tenant_actions.create_contract(
        actor=SYSTEM, client=client, name="MSA", start_date=today.replace(day=1) - dt.timedelta(days=40),
        calendar=BusinessCalendar.objects.get(client=client), report_recipients=[REPORT_TO],
    )  # fmt: skip
    pings = [
        heartbeat_actions.create_heartbeat(
            actor=SYSTEM, client=client, name=f"backup job {i}", period_seconds=3600
        )
        for i in range(heartbeats)
    ]
    tcp: dict[str, Any] = {
        "kind": "tcp",
        "target": "127.0.0.1",
        "interval_seconds": 10,
        "timeout_seconds": 2,
    }
    good = [
        check_actions.create_check(
            actor=SYSTEM, client=client, name=f"ERP {i}", settings={"port": tcp_port}, **tcp
        )
        for i in range(checks)
    ]
    failing = check_actions.create_check(
        actor=SYSTEM, client=client, name="Closed port", settings={"port": closed_port},
        failures_to_fire=1, hold_down_seconds=0, **tcp,
    )  # fmt: skip
    return {
        "client": client.pk,
        "agents": _agents(client, agents),
        "heartbeats": [str(hb.ping_key) for hb in pings],
        "checks": [c.pk for c in good],
        "failing_check": failing.pk,
        "ticket": _escalating_ticket(client),
    }


def _agents(client: Any, count: int) -> list[tuple[str, str]]:
    _token, text = agent_actions.create_enrollment_token(
        actor=SYSTEM, client=client, name="cluster test", max_uses=count
    )
    creds = []
    for i in range(count):
        e = enroll(EnrollIn(enrollment_token=text, machine_id=f"node-{i}", hostname=f"node-{i}",
                            os="linux", agent_version="cluster-test"))  # fmt: skip
        creds.append((str(e.agent.pk), e.secret))
    return creds


def _escalating_ticket(client: Any) -> int:
    """A ticket on a one-minute resolution clock whose whole ladder is due at once (steps one
    minute before due) and whose warning comes at 10 % (6 s)."""
    tech = account_actions.invite_user(
        actor=SYSTEM, email=TECH, role=Role.TECHNICIAN, client=None, password="x" * 20,
        full_name="Tina Tech",
    )  # fmt: skip
    policy_actions.save_policy(
        actor=SYSTEM, name="Fast lane", client=client,
        clocks_spec={"resolution": {
            "target_minutes": 1, "calendar": "24x7", "warn_percent": 10,
            "steps": [{"offset_minutes": -1, "action": "notify", "user": tech},
                      {"offset_minutes": -1, "action": "raise_priority"}],
        }},
    )  # fmt: skip
    ticket = desk.open_ticket(actor=SYSTEM, client=client, subject="Invoices stuck", body="EDI")
    return int(ticket.pk)
