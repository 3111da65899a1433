"""Demo data for a trial: three clients with sites, contacts, contracts, calendars and users.

Idempotent: objects are looked up by their natural keys and created only when missing, so running
`openmsp demo` twice changes nothing the second time. Everything goes through the actions layer,
so the demo also fills the audit log the way real use would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmsp.accounts import actions as accounts
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.tenants import actions as tenants
from openmsp.tenants.models import BusinessCalendar, Client, Contract

ACTOR = Actor.system("demo")

P_TARGETS = [
    {
        "priority": "P1",
        "first_response_minutes": 15,
        "next_response_minutes": 60,
        "resolution_minutes": 240,
        "always_open": True,
    },
    {
        "priority": "P2",
        "first_response_minutes": 30,
        "next_response_minutes": 120,
        "resolution_minutes": 480,
    },
    {
        "priority": "P3",
        "first_response_minutes": 120,
        "next_response_minutes": 480,
        "resolution_minutes": 1440,
    },
    {"priority": "P4", "first_response_minutes": 480, "resolution_minutes": 4800},
]


@dataclass
class DemoClient:
    name: str
    code: str
    language: str
    legal_name: str
    sites: list[tuple[str, str]]
    contacts: list[dict[str, Any]]
    users: list[tuple[str, str, str]]  # email, role, name
    contract: dict[str, Any]
    closed_days: list[tuple[dt.date, str, bool]] = field(default_factory=list)


CLIENTS = [
    DemoClient(
        name="한빛물류",
        code="hanbit",
        language="ko",
        legal_name="주식회사 한빛물류",
        sites=[
            ("본사 (서울)", "서울특별시 중구 세종대로 110"),
            ("부산 물류센터", "부산광역시 강서구 신항로 10"),
        ],
        contacts=[
            {
                "name": "김민준",
                "email": "minjun.kim@hanbit.example",
                "title": "IT팀장",
                "is_primary": True,
            },
            {"name": "이서연", "email": "seoyeon.lee@hanbit.example", "title": "EDI 담당"},
        ],
        users=[
            ("it@hanbit.example", Role.CLIENT_ADMIN, "김민준"),
            ("edi@hanbit.example", Role.CLIENT_USER, "이서연"),
        ],
        contract={
            "name": "통합 운영 서비스 2026",
            "reference": "MSP-2026-001",
            "services": [
                "monitoring",
                "service_desk",
                "integration_ops",
                "patching",
                "backup",
                "consulting",
            ],
            "availability_target": Decimal("99.900"),
            "billing_model": Contract.BillingModel.FIXED_MONTHLY,
            "rate": Decimal("4500000"),
        },
        closed_days=[(dt.date(2026, 4, 1), "창립기념일", True)],
    ),
    DemoClient(
        name="새봄제약",
        code="saebom",
        language="ko",
        legal_name="새봄제약 주식회사",
        sites=[("오송 공장", "충청북도 청주시 흥덕구 오송읍")],
        contacts=[
            {
                "name": "박지훈",
                "email": "jihoon.park@saebom.example",
                "title": "정보보안 책임자",
                "is_primary": True,
            }
        ],
        users=[("it@saebom.example", Role.CLIENT_ADMIN, "박지훈")],
        contract={
            "name": "인프라 관리 계약",
            "reference": "MSP-2026-007",
            "services": ["monitoring", "service_desk", "security", "backup"],
            "availability_target": Decimal("99.500"),
            "billing_model": Contract.BillingModel.PER_DEVICE,
            "rate": Decimal("85000"),
        },
    ),
    DemoClient(
        name="Blue Harbor Trading",
        code="blueharbor",
        language="en",
        legal_name="Blue Harbor Trading Co., Ltd.",
        sites=[("Incheon office", "Incheon, Yeonsu-gu")],
        contacts=[
            {
                "name": "Grace Han",
                "email": "grace@blueharbor.example",
                "title": "Operations",
                "is_primary": True,
                "language": "en",
            }
        ],
        users=[("ops@blueharbor.example", Role.CLIENT_ADMIN, "Grace Han")],
        contract={
            "name": "Managed integration service",
            "reference": "MSP-2026-012",
            "services": ["monitoring", "integration_ops", "service_desk"],
            "availability_target": Decimal("99.000"),
            "billing_model": Contract.BillingModel.BLOCK_HOURS,
            "rate": Decimal("120000"),
            "included_hours": Decimal("20"),
        },
    ),
]

STAFF = [
    ("tech@msp.example", Role.TECHNICIAN, "정우성 (기술자)"),
    ("auditor@msp.example", Role.AUDITOR, "감사 담당자"),
]


@transaction.atomic
def load(password: str) -> list[str]:
    """Create what is missing; return a line per object created."""
    created: list[str] = []
    always = BusinessCalendar.objects.filter(client=None, name="24×7").first()
    if always is None:
        tenants.create_calendar(actor=ACTOR, client=None, name="24×7", always_open=True)
        created.append("calendar 24×7")
    for spec in CLIENTS:
        client = Client.objects.filter(code=spec.code).first()
        if client is None:
            client = tenants.create_client(
                actor=ACTOR,
                name=spec.name,
                code=spec.code,
                language=spec.language,
                legal_name=spec.legal_name,
            )
            created.append(f"client {spec.name}")
            _fill(client, spec, created)
        for email, role, name in spec.users:
            _user(email, role, name, password, created, client=client, language=spec.language)
    for email, role, name in STAFF:
        _user(email, role, name, password, created)
    _sample_reports(created)
    return created


def _sample_reports(created: list[str]) -> None:
    """Last month's service report of every demo client, so a new user sees one at once."""
    from openmsp.reports import actions as reports
    from openmsp.reports.models import Report
    from openmsp.reports.schedule import previous_month

    month = previous_month(timezone.localdate())
    for spec in CLIENTS:
        client = Client.objects.get(code=spec.code)
        if not Report.objects.filter(client=client, period_start=month).exists():
            reports.generate(actor=ACTOR, client=client, month=month)
            created.append(f"report {spec.name} {month:%Y-%m}")
    _sample_reviews(created)


def _sample_reviews(created: list[str]) -> None:
    """Last quarter's business review of every demo client (docs/qbr.md)."""
    from openmsp.reports import actions as reports
    from openmsp.reports import figures, qbr
    from openmsp.reports.models import Qbr

    quarter = figures._add_months(qbr.quarter_of(timezone.localdate()), -3)
    for spec in CLIENTS:
        client = Client.objects.get(code=spec.code)
        if not Qbr.objects.filter(client=client, quarter_start=quarter).exists():
            reports.generate_qbr(actor=ACTOR, client=client, quarter=quarter)
            created.append(f"quarterly review {spec.name} {qbr.label(quarter)}")


def _fill(client: Client, spec: DemoClient, created: list[str]) -> None:
    sites = [
        tenants.create_site(actor=ACTOR, client=client, name=n, address=a) for n, a in spec.sites
    ]
    for contact in spec.contacts:
        tenants.create_contact(actor=ACTOR, client=client, site=sites[0], **contact)
    calendar = client.businesscalendar_set.get()
    for date, name, yearly in spec.closed_days:
        tenants.add_special_day(
            actor=ACTOR, calendar=calendar, date=date, name=name, recurs_yearly=yearly
        )
    tenants.create_contract(
        actor=ACTOR,
        client=client,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        calendar=calendar,
        support_hours=Contract.SupportHours.CALENDAR,
        dpa_signed=True,
        dpa_signed_on=dt.date(2025, 12, 15),
        report_recipients=[c["email"] for c in spec.contacts[:1]],
        sla_targets=P_TARGETS,
        **spec.contract,
    )
    created.append(f"  {len(sites)} sites, {len(spec.contacts)} contacts, contract, calendar")


def _user(
    email: str, role: str, name: str, password: str, created: list[str], **extra: Any
) -> None:
    if User.objects.filter(email__iexact=email).exists():
        return
    accounts.invite_user(
        actor=ACTOR, email=email, role=role, full_name=name, password=password, **extra
    )
    created.append(f"user {email} ({role})")
