"""The tenant-isolation sweep: every API operation and every UI view, tried by outsiders.

For each route the sweep fills the path with the ids of objects that belong to client A and
calls it, for reading and for writing, as two outsiders:

- charlie, the client admin of another client (B);
- tech_b, an MSP technician assigned to client B only.

Both must get 404 for every object of A (by id) — or, where the route refuses them whatever the
object (405 for a method it does not take, 403 for a role that may not use it at all), exactly the
answer a non-existent object gets, so nothing about A can be learnt — must never see A's data in a
list, and must not change anything of A. The sweep discovers routes itself, so a route added later is covered
automatically, and the test FAILS on a route whose parameters it does not know how to fill:
teach it the new object kind in OBJECT_FACTORIES / PARAM_KIND below.

As a guard against a vacuous pass, the MSP owner must reach every object route (not 404).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from openmsp.accounts import actions as account_actions
from openmsp.accounts.models import User
from openmsp.api import api
from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import BusinessCalendar, Client

MARK = "Zq7IsolationMarker"
SYSTEM = Actor.system("sweep")

# Path parameter name -> the kind of object of client A it names.
PARAM_KIND: dict[str, str] = {
    "client_id": "client",
    "site_id": "site",
    "contact_id": "contact",
    "contract_id": "contract",
    "calendar_id": "calendar",
    "special_day_id": "special_day",
    "user_id": "user",
    "token_id": "token",
    "record_id": "audit_record",
    "audit_id": "audit_record",
    "seq": "audit_seq",
    "asset_id": "asset",
    "enrollment_token_id": "enrollment_token",
    "command_id": "command",
    "command_run_id": "command_run",
    "run_id": "command_run",
    "heartbeat_id": "heartbeat",
    "interface_id": "interface",
    "check_id": "check",
    "notification_channel_id": "notification_channel",
    "notification_route_id": "notification_route",
    "notification_message_id": "notification_delivery",
    "problem_id": "problem",
    "maintenance_window_id": "maintenance_window",
    "asset_parent_id": "dependency",
    "alertmanager_token_id": "alertmanager_token",
    "ticket_id": "ticket",
    "attachment_id": "ticket_attachment",
    "mailbox_id": "mailbox",
    "sla_policy_id": "sla_policy",
    "status_id": "ticket_status",
    "team_id": "team",
    "category_id": "category",
    "article_id": "kb_article",
    "time_entry_id": "time_entry",
    "schedule_id": "oncall_schedule",
    "override_id": "oncall_override",
    "report_id": "report",
    "qbr_id": "qbr",
    "meeting_id": "qbr_meeting",
    "action_item_id": "qbr_action_item",
    "qbr_run_id": "qbr_run",
    "uidb64": "skip",  # password-reset links: token-protected, not tenant objects
    "token": "skip",
}

# Routes that are deliberately outside the sweep, each with the reason.
EXEMPT: dict[str, str] = {
    "healthz": "public liveness probe; no tenant data",
    "metrics": "Prometheus scrape of installation-wide aggregates (no client named); optional "
    "bearer token OPENMSP_METRICS_TOKEN",
    "api/v1/openapi.json": "public API description; no tenant data",
    "api/v1/docs": "public API docs page; no tenant data",
    "api/v1/<path:rest>": "the JSON 404 for paths no API operation matches; serves no data",
    # Heartbeat pings: authenticated by the unguessable key alone, answer "OK" or "not found"
    # and return no tenant data; a key reaching only its own heartbeat is tested in
    # openmsp/heartbeats/tests/test_ping_endpoints.py.
    "ping": "heartbeat pings (key-authenticated, no tenant data returned)",
    "ping/<uuid:ping_key>": "heartbeat pings (key-authenticated, no tenant data returned)",
    "ping/<uuid:ping_key>/start": "heartbeat pings (key-authenticated, no tenant data returned)",
    "ping/<uuid:ping_key>/fail": "heartbeat pings (key-authenticated, no tenant data returned)",
    "ping/<uuid:ping_key>/log": "heartbeat pings (key-authenticated, no tenant data returned)",
    "ping/<uuid:ping_key>/<int:status>": "heartbeat pings (key-authenticated, no tenant data "
    "returned)",
    "ping/<path:rest>": "the plain 404 for mistyped ping URLs; serves no data",
    # Interface reports: authenticated by the interface's report token alone (a user's token or
    # session is a 401), answer only counts; openmsp/interfaces/tests/test_report_endpoint.py
    # shows a token reaches only its own interface.
    "api/v1/interfaces/report": "interface reports (report-token-authenticated, no tenant data "
    "returned)",
}


@dataclass
class World:
    objects: dict[str, Any]
    client_a: Client

    def fill(self, kind: str) -> str:
        obj = self.objects[kind]
        return str(obj if isinstance(obj, int | str) else obj.pk)


def _build_world(client_a: Client, alice: User, bob: User) -> World:
    tenant_actions.update_client(actor=SYSTEM, client=client_a, changes={"notes": MARK})
    site = tenant_actions.create_site(actor=SYSTEM, client=client_a, name=f"HQ {MARK}")
    contact = tenant_actions.create_contact(
        actor=SYSTEM, client=client_a, name=f"Kim {MARK}", email="kim@hanbit.example"
    )
    calendar = BusinessCalendar.objects.get(client=client_a)
    tenant_actions.update_calendar(
        actor=SYSTEM, calendar=calendar, changes={"name": f"Hours {MARK}"}
    )
    day = tenant_actions.add_special_day(
        actor=SYSTEM, calendar=calendar, date="2026-04-01", name=f"Founding {MARK}"
    )
    contract = tenant_actions.create_contract(
        actor=SYSTEM,
        client=client_a,
        name=f"Contract {MARK}",
        start_date="2026-01-01",
        calendar=calendar,
        report_recipients=["kim@hanbit.example"],
    )
    account_actions.update_profile(actor=SYSTEM, user=bob, changes={"full_name": f"Bob {MARK}"})
    token, _secret = account_actions.create_token(
        actor=Actor(user=alice), user=alice, name=f"ci {MARK}"
    )
    fleet = _build_fleet(client_a)
    heartbeat = _build_heartbeat(client_a)
    interface = _build_interface(client_a)
    fleet.update(_build_checks(client_a))
    notifications = _build_notifications(client_a)
    alerts = _build_alerts(client_a, fleet["asset"], site)
    tickets = _build_tickets(client_a, bob)
    oncall = _build_oncall(client_a)
    report = _build_report(client_a)
    qbr = _build_qbr(client_a)
    record = AuditRecord.objects.filter(client=client_a).order_by("-seq").first()
    assert record is not None
    return World(
        objects={
            **fleet,
            "heartbeat": heartbeat,
            "interface": interface,
            **notifications,
            **alerts,
            **tickets,
            **oncall,
            "report": report,
            **qbr,
            "client": client_a,
            "site": site,
            "contact": contact,
            "contract": contract,
            "calendar": calendar,
            "special_day": day,
            "user": bob,
            "token": token,
            "audit_record": record,
            "audit_seq": record.seq,
        },
        client_a=client_a,
    )


def _build_fleet(client_a: Client) -> dict[str, Any]:
    """An enrolled host of A (with metrics, inventory and a command run) and a manual device."""
    from openmsp.agent_api import actions as agent_actions
    from openmsp.agent_api.agent_actions import enroll
    from openmsp.agent_api.schemas import EnrollIn
    from openmsp.assets import actions as asset_actions

    token, text = agent_actions.create_enrollment_token(
        actor=SYSTEM, client=client_a, name=f"rollout {MARK}"
    )
    enrolled = enroll(
        EnrollIn(
            enrollment_token=text,
            machine_id="sweep-machine",
            hostname=f"web-{MARK}",
            os="linux",
            agent_version="test",
        )
    )
    host = enrolled.agent.asset
    asset_actions.update_asset(actor=SYSTEM, asset=host, changes={"name": f"web {MARK}"})
    asset_actions.create_asset(actor=SYSTEM, client=client_a, name=f"switch {MARK}")
    command = agent_actions.run_command(actor=SYSTEM, assets=[host], script=f"echo {MARK}")
    return {
        "asset": host,
        "enrollment_token": token,
        "command": command,
        "command_run": command.runs.get(),
    }


def _build_heartbeat(client_a: Client) -> Any:
    """A heartbeat of A that has pinged once (so its ping log is not empty)."""
    from openmsp.heartbeats import actions as heartbeat_actions
    from openmsp.heartbeats.ping_actions import Signal, record_ping

    heartbeat = heartbeat_actions.create_heartbeat(
        actor=SYSTEM, client=client_a, name=f"nightly {MARK}", description=MARK
    )
    record_ping(
        heartbeat.ping_key, Signal(kind="success", at=heartbeat.created_at, body=MARK.encode())
    )
    return heartbeat


def _build_interface(client_a: Client) -> Any:
    """An interface of A that has reported one run (so its run log is not empty)."""
    from openmsp.interfaces import actions as interface_actions
    from openmsp.interfaces.report_actions import record_report
    from openmsp.interfaces.schemas import ReportIn

    interface, token = interface_actions.create_interface(
        actor=SYSTEM, client=client_a, name=f"orders {MARK}", code="orders", description=MARK
    )
    run = {"run_id": MARK, "started_at": interface.created_at, "failures_by_code": {MARK: 1}}
    record_report(token, ReportIn.model_validate({"runs": [run]}))
    return interface


def _build_checks(client_a: Client) -> dict[str, Any]:
    """A synthetic check of A with a stored result."""
    from django.utils import timezone

    from openmsp.monitoring import actions as check_actions
    from openmsp.monitoring.models import CheckResult

    check = check_actions.create_check(
        actor=SYSTEM,
        client=client_a,
        kind="tcp",
        name=f"erp db {MARK}",
        target="127.0.0.1",
        settings={"port": 5432},
    )
    CheckResult.objects.create(
        for_check=check, at=timezone.now(), status="ok", summary=f"TCP open {MARK}"
    )
    return {"check": check}


def _build_notifications(client_a: Client) -> dict[str, Any]:
    """A channel and a routing rule of A, and a message of A in the delivery log."""
    from openmsp.notifications import actions as notify_actions

    channel = notify_actions.create_channel(
        actor=SYSTEM,
        client=client_a,
        name=f"mail {MARK}",
        kind="email",
        config={"recipients": ["noc@hanbit.example"]},
    )
    route = notify_actions.create_route(
        actor=SYSTEM, client=client_a, name=f"route {MARK}", channels=[channel]
    )
    delivery = notify_actions.send_test(actor=SYSTEM, channel=channel)
    return {
        "notification_channel": channel,
        "notification_route": route,
        "notification_delivery": delivery,
    }


def _build_tickets(client_a: Client, bob: User) -> dict[str, Any]:
    """A ticket of A opened by its client user, with a reply, a note and an attachment."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from openmsp.servicedesk import actions as desk_actions
    from openmsp.servicedesk import policy_actions

    ticket = desk_actions.open_ticket(
        actor=Actor(user=bob), client=client_a, subject=f"VPN {MARK}", body=f"Down {MARK}"
    )
    desk_actions.note(actor=SYSTEM, ticket=ticket, body=f"note {MARK}")
    upload = SimpleUploadedFile("log.txt", MARK.encode(), content_type="text/plain")
    attachment = desk_actions.add_attachment(actor=SYSTEM, ticket=ticket, file=upload)
    from openmsp.servicedesk import mail_actions
    from openmsp.servicedesk.models import MailMessage

    mailbox = mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name=f"Support {MARK}", address="support@hanbit.example",
        host="imap.hanbit.example", port=993, security="ssl", username=f"desk-{MARK}",
        password=MARK,
    )  # fmt: skip
    MailMessage.objects.create(
        client=client_a, mailbox=mailbox, direction="in", uid_validity=1, uid=1, ticket=ticket,
        message_id=f"<{MARK}@hanbit.example>", subject=f"VPN {MARK}", outcome="opened",
    )  # fmt: skip
    policy = policy_actions.save_policy(
        actor=SYSTEM, name=f"Policy {MARK}", client=client_a,
        clocks_spec={"resolution": {"target_minutes": 60, "calendar": "24x7"}},
    )  # fmt: skip
    from openmsp.servicedesk import setup_actions
    from openmsp.servicedesk.models import TicketStatus

    status = TicketStatus.objects.create(
        client=client_a, code="waiting_on_vendor", name=f"Vendor {MARK}", category="pending"
    )
    team = setup_actions.save_team(actor=SYSTEM, client=client_a, name=f"Team {MARK}")
    category = setup_actions.save_category(actor=SYSTEM, client=client_a, name=f"Cat {MARK}")
    return {
        "ticket": ticket, "ticket_attachment": attachment, "mailbox": mailbox,
        "sla_policy": policy, "ticket_status": status, "team": team, "category": category,
        **_build_desk_extras(ticket),
    }  # fmt: skip


def _build_desk_extras(ticket: Any) -> dict[str, Any]:
    """A's client-only KB article, a time entry and an answered-to-be survey on A's ticket."""
    from conftest import make_user
    from openmsp.accounts.roles import Role
    from openmsp.knowledge import actions as kb_actions
    from openmsp.servicedesk import actions as desk_actions
    from openmsp.servicedesk import csat, timekeeping

    tech = make_user(f"sweep-tech-{ticket.pk}@msp.example", Role.TECHNICIAN)
    article = kb_actions.create_article(
        actor=Actor(user=tech), title=f"VPN howto {MARK}", body=f"Reconnect {MARK}",
        language="en", visibility="client", client=ticket.client, status="published",
    )  # fmt: skip
    entry = timekeeping.log_time(
        actor=Actor(user=tech), ticket=ticket, minutes=30, date=ticket.created_at.date(),
        work_type="remote", note=f"fixed {MARK}",
    )  # fmt: skip
    csat.update_setting(
        actor=SYSTEM, client=ticket.client, enabled=True, sample_percent=100, delay_minutes=0
    )
    desk_actions.change_status(actor=SYSTEM, ticket=ticket, status="resolved")
    return {"kb_article": article, "time_entry": entry}


def _build_oncall(client_a: Client) -> dict[str, Any]:
    """An on-call schedule limited to A (on-call is MSP-internal: client users never see one,
    staff only when they may see A), with a layer and an override."""
    import datetime as dt

    from django.utils import timezone

    from conftest import make_user
    from openmsp.oncall import actions as oncall_actions

    on_call = make_user(f"oncall-{uuid.uuid4().hex[:8]}@msp.example", "technician")
    now = timezone.now()
    schedule = oncall_actions.create_schedule(
        actor=SYSTEM,
        name=f"NOC {MARK}",
        description=MARK,
        client=client_a,
        layers=[{"kind": "weekly", "start": now - dt.timedelta(days=1), "members": [on_call]}],
    )
    override = oncall_actions.add_override(
        actor=SYSTEM,
        schedule=schedule,
        user=on_call,
        start=now,
        end=now + dt.timedelta(hours=2),
        reason=MARK,
    )
    return {"oncall_schedule": schedule, "oncall_override": override}


def _build_report(client_a: Client) -> Any:
    """A monthly report of A (its figures name A's client and tickets)."""
    from django.utils import timezone

    from openmsp.reports import actions as report_actions

    month = timezone.localdate().replace(day=1)
    return report_actions.generate(actor=SYSTEM, client=client_a, month=month)


def _build_qbr(client_a: Client) -> dict[str, Any]:
    """This quarter's review of A, with a meeting and an action item naming the marker."""
    from django.utils import timezone

    from openmsp.reports import actions as report_actions
    from openmsp.reports import qbr

    quarter = qbr.quarter_of(timezone.localdate())
    review = report_actions.generate_qbr(actor=SYSTEM, client=client_a, quarter=quarter)
    report_actions.update_agenda(actor=SYSTEM, review=review, agenda=f"Agenda {MARK}")
    meeting = report_actions.record_meeting(
        actor=SYSTEM, review=review, held_on=quarter, attendees=[f"Kim {MARK}"],
        decisions=MARK, action_items=[{"title": f"Act {MARK}", "owner": MARK, "due_on": None}],
    )  # fmt: skip
    from openmsp.reports.models import QbrRun

    run = QbrRun.objects.create(
        client=client_a, quarter=quarter, state=QbrRun.State.MAILED, qbr=review,
        pdf=f"%PDF-1.4 {MARK}".encode(), emailed_at=timezone.now(), emailed_to=["kim@hanbit.example"],
        error=f"an earlier attempt failed {MARK}",
    )  # fmt: skip  # the scheduled run of that review, as mailed (its archived PDF names the marker)
    return {
        "qbr": review,
        "qbr_meeting": meeting,
        "qbr_action_item": meeting.action_items.get(),
        "qbr_run": run,
    }


def _build_alerts(client_a: Client, host: Any, site: Any) -> dict[str, Any]:
    """A firing problem of A's host, a maintenance window, a dependency, a receiver token."""
    from django.utils import timezone

    from openmsp.alerts import actions as alert_actions
    from openmsp.alerts.models import Problem
    from openmsp.assets import actions as asset_actions
    from openmsp.core import spine

    spine.observe(
        spine.Observation(
            client_id=client_a.pk,
            source="check",
            object_type="monitoring.check",
            object_id="sweep",
            rule="http",
            status="critical",
            observed_at=timezone.now(),
            summary=f"HTTP 503 {MARK}",
            asset_id=host.pk,
        )
    )
    window = alert_actions.create_window(
        actor=SYSTEM,
        client=client_a,
        name=f"Patch night {MARK}",
        cron="0 2 * * 0",
        duration_minutes=120,
        site=site,
    )
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name=f"router {MARK}")
    dependency = alert_actions.set_dependency(actor=SYSTEM, child=host, parent=router)
    token, _secret = alert_actions.create_alertmanager_token(
        actor=SYSTEM, client=client_a, name=f"prom {MARK}"
    )
    return {
        "problem": Problem.objects.get(client=client_a),
        "maintenance_window": window,
        "dependency": dependency,
        "alertmanager_token": token,
    }


# --- Route discovery ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    surface: str  # "api" or "ui"
    template: str  # "/api/v1/sites/{site_id}" or "/clients/<int:client_id>/"
    methods: tuple[str, ...]
    params: tuple[str, ...]
    name: str = ""

    def url(self, world: World) -> str:
        return self._fill(lambda param: world.fill(PARAM_KIND[param]))

    def url_of_nothing(self, world: World) -> str:
        """The same route naming objects that do not exist (ids of the same type)."""

        def absent(param: str) -> str:
            value = world.fill(PARAM_KIND[param])
            return str(uuid.UUID(int=0xDEAD)) if _is_uuid(value) else "987654321"

        return self._fill(absent)

    def _fill(self, value_of: Callable[[str], str]) -> str:
        url = self.template
        for param in self.params:
            pattern = r"\{" + param + r"\}|<(?:\w+:)?" + param + ">"
            url = re.sub(pattern, value_of(param), url)
        return url


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def api_routes() -> list[Route]:
    schema = api.get_openapi_schema()
    routes = []
    for path, operations in schema["paths"].items():
        methods = tuple(
            m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"}
        )
        params = tuple(re.findall(r"\{(\w+)\}", path))
        routes.append(Route("api", path, methods, params))
    return routes


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("api/v1/"):
                continue  # the API is swept through its OpenAPI document
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name or ""


def ui_routes() -> list[Route]:
    routes = []
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith("^") or "(?P" in route:
            raise AssertionError(f"regex route {route!r}: the sweep only understands path() routes")
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
        routes.append(Route("ui", "/" + route, ("GET", "POST"), params, name))
    return routes


# Whole areas outside the sweep, with the reason.
EXEMPT_PREFIXES: dict[str, str] = {
    "/agent/": "agents authenticate with their own HMAC credential, not as users; cross-agent "
    "and cross-client access is tested in openmsp/agent_api/tests",
}


def all_routes() -> list[Route]:
    return [
        r
        for r in api_routes() + ui_routes()
        if r.template.strip("/") not in EXEMPT and not r.template.startswith(tuple(EXEMPT_PREFIXES))
    ]


def test_every_route_parameter_is_known_to_the_sweep() -> None:
    unknown = sorted(
        f"{r.surface} {r.template} ({p})"
        for r in all_routes()
        for p in r.params
        if p not in PARAM_KIND
    )
    assert not unknown, "Teach the isolation sweep these parameters:\n" + "\n".join(unknown)


def test_the_sweep_sees_the_routes_of_every_foundation_area() -> None:
    templates = " ".join(r.template for r in all_routes())
    for area in (
        "clients",
        "sites",
        "contacts",
        "contracts",
        "calendars",
        "users",
        "tokens",
        "audit",
    ):
        assert area in templates, f"no route mentions {area}: is the sweep discovering routes?"


# --- The sweep ------------------------------------------------------------------------------


def _call(http: HttpClient, method: str, url: str, surface: str) -> Any:
    if surface == "api":
        body = (
            json.dumps({"name": f"hijack {MARK}"}) if method in {"POST", "PUT", "PATCH"} else None
        )
        return http.generic(method, url, data=body or "", content_type="application/json")
    if method == "POST":
        return http.post(url, {"name": f"hijack {MARK}", "confirm": "1"})
    return http.get(url)


def _fingerprint(client: Client) -> tuple[int, int]:
    """Changes to A show up in its audit trail: the count of A's audit records must not move."""
    return AuditRecord.objects.filter(client=client).count(), AuditRecord.objects.count()


OUTSIDERS = ["charlie", "tech_b"]


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_for_every_object_of_another_client_and_change_nothing(
    request: pytest.FixtureRequest,
    outsider: str,
    client_a: Client,
    alice: User,
    bob: User,
    api_as: Callable[..., HttpClient],
    web_as: Callable[[User], HttpClient],
) -> None:
    world = _build_world(client_a, alice, bob)
    who: User = request.getfixturevalue(outsider)
    surfaces = {"api": api_as(who), "ui": web_as(who)}
    a_before, _ = _fingerprint(client_a)
    leaks: list[str] = []
    for route in all_routes():
        if not route.params or any(PARAM_KIND[p] == "skip" for p in route.params):
            continue
        url = route.url(world)
        for method in route.methods:
            http = surfaces[route.surface]
            status = _call(http, method, url, route.surface).status_code
            if status == 404:
                continue
            # A refusal that does not depend on the object (a method the route does not take,
            # a role that may not use it at all) says nothing about A: it must be exactly what
            # the same request gets for an object that does not exist.
            unrelated = _call(http, method, route.url_of_nothing(world), route.surface).status_code
            if status in (403, 405) and status == unrelated:
                continue
            leaks.append(f"{method} {url} -> {status} (absent object: {unrelated})")
    assert not leaks, f"{outsider} reached client A's objects:\n" + "\n".join(leaks)
    assert _fingerprint(client_a)[0] == a_before, "an outsider's request changed client A"


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_never_see_another_clients_data_in_lists(
    request: pytest.FixtureRequest,
    outsider: str,
    client_a: Client,
    alice: User,
    bob: User,
    api_as: Callable[..., HttpClient],
    web_as: Callable[[User], HttpClient],
) -> None:
    _build_world(client_a, alice, bob)
    who: User = request.getfixturevalue(outsider)
    surfaces = {"api": api_as(who), "ui": web_as(who)}
    leaks = []
    for route in all_routes():
        if route.params or "GET" not in route.methods:
            continue
        http = surfaces[route.surface]
        for query in ("", "?q=Zq7", f"?client_id={client_a.pk}", f"?client={client_a.pk}"):
            response = http.get(route.template + query)
            body = response.content.decode("utf-8", "replace")
            if MARK in body or client_a.name in body:
                leaks.append(f"GET {route.template}{query} -> {response.status_code}")
    assert not leaks, f"{outsider} saw client A's data:\n" + "\n".join(leaks)


def test_the_msp_owner_reaches_every_object_route_so_the_sweep_is_not_vacuous(
    client_a: Client,
    alice: User,
    bob: User,
    msp_owner: User,
    api_as: Callable[..., HttpClient],
    web_as: Callable[[User], HttpClient],
) -> None:
    world = _build_world(client_a, alice, bob)
    surfaces = {"api": api_as(msp_owner), "ui": web_as(msp_owner)}
    unreachable = []
    for route in all_routes():
        if not route.params or "GET" not in route.methods:
            continue
        if any(PARAM_KIND[p] == "skip" for p in route.params):
            continue
        response = surfaces[route.surface].get(route.url(world))
        if response.status_code == 404:
            unreachable.append(f"GET {route.url(world)}")
    assert not unreachable, "the MSP owner got 404 (sweep fixtures wrong?):\n" + "\n".join(
        unreachable
    )


# --- Every route is covered: stale exemptions and anonymous visitors -------------------------


def _every_route() -> list[Route]:
    return api_routes() + ui_routes()


def _all_templates(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _all_templates(pattern.url_patterns, route)
        else:
            yield route.strip("/")


def test_every_exemption_names_a_route_that_exists() -> None:
    """An allow-list entry outliving its route would silently exempt whatever reuses the path."""
    templates = {r.template.strip("/") for r in _every_route()}
    templates |= set(_all_templates(get_resolver().url_patterns))
    stale = sorted(set(EXEMPT) - templates)
    stale += sorted(set(PUBLIC_ROUTES) - templates)
    prefixes = [p for p in EXEMPT_PREFIXES if not any(t.startswith(p) for t in ("/" + x for x in templates))]  # fmt: skip
    assert not stale + prefixes, "allow-list entries without a route: " + ", ".join(
        stale + prefixes
    )


# Routes an anonymous visitor may use, each with the reason. Every other route of the UI and the
# API must refuse someone who is not signed in (a redirect to the sign-in page, 401, 403, 404 or
# 405) whatever the method: a route added without its access check fails the test below.
PUBLIC_ROUTES: dict[str, str] = {
    **EXEMPT,
    "accounts/login": "the sign-in form",
    "accounts/password-reset": "asking for a reset link (the same answer for any address)",
    "accounts/password-reset/sent": "the 'check your mail' page; no data",
    "accounts/password-reset/<uidb64>/<token>": "the one-time reset link: the token is the "
    "credential (openmsp/accounts/tests)",
    "accounts/password-reset/done": "the 'password changed' page; no data",
    "accounts/invitation/<uidb64>/<token>": "the one-time invitation link: the token is the "
    "credential",
    "csat/<str:token>/good": "satisfaction survey answer from a ticket mail: the signed token is "
    "the credential and names one ticket",
    "csat/<str:token>/bad": "satisfaction survey answer (signed token)",
    "csat/<str:token>/comment": "satisfaction survey comment (signed token)",
    "language": "the sign-in page's language switch (a cookie; no data)",
    "i18n/setlang": "Django's language switch (a cookie; no data)",
}


def _refuses_anonymous(response: Any) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (301, 302) and "/accounts/login/" in location


def test_anonymous_visitors_reach_only_the_public_routes(
    client_a: Client, alice: User, bob: User
) -> None:
    world = _build_world(client_a, alice, bob)
    anonymous = HttpClient()
    opened = []
    for route in _every_route():
        if route.template.strip("/") in PUBLIC_ROUTES:
            continue
        if route.template.startswith(tuple(EXEMPT_PREFIXES)):
            continue
        if any(PARAM_KIND.get(p) == "skip" for p in route.params):
            opened.append(f"{route.template}: a token route not in PUBLIC_ROUTES")
            continue
        url = route.url(world)
        for method in route.methods:
            response = _call(anonymous, method, url, route.surface)
            if not _refuses_anonymous(response):
                opened.append(f"{method} {url} -> {response.status_code}")
    assert not opened, "open to anyone (add the access check, or to PUBLIC_ROUTES with the reason):\n" + "\n".join(opened)  # fmt: skip
