"""API shapes of clients, sites, contacts, contracts and business calendars.

Lengths and choices mirror `openmsp.tenants.models`; the actions still validate everything, these
schemas make the common mistakes a 422 naming the field before any query runs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator

from openmsp.core.apiutils import (
    MAX_ID,
    InputSchema,
    Instant,
    ListQuery,
    Page,
    QuerySchema,
    omittable,
)
from openmsp.tenants import calendar as workcal
from openmsp.tenants.models import SERVICE_CATALOGUE, Client, Contract, SlaTarget, SpecialDay

Language = Literal["ko", "en"]
MAX_INT = 2_147_483_647  # PositiveIntegerField's range on every database
NOTES = 10_000
SLUG = r"^[-a-zA-Z0-9_]+$"


# --- Clients ------------------------------------------------------------------------------------


class ClientIn(InputSchema):
    name: str = Field(min_length=1, max_length=200, examples=["Hanbit Logistics"])
    code: str = Field(
        min_length=1,
        max_length=32,
        pattern=SLUG,
        description="Letters, digits, - and _.",
        examples=["hanbit"],
    )
    legal_name: str = Field("", max_length=200, examples=["Hanbit Logistics Co., Ltd."])
    business_number: str = Field("", max_length=32, examples=["123-45-67890"])
    status: Client.Status = Client.Status.ACTIVE
    time_zone: str = Field(
        "Asia/Seoul", min_length=1, max_length=64, description="IANA name.", examples=["Asia/Seoul"]
    )
    language: Language = "ko"
    notes: str = Field("", max_length=NOTES)


class ClientPatch(InputSchema):
    name: str = omittable(min_length=1, max_length=200)
    code: str = omittable(min_length=1, max_length=32, pattern=SLUG)
    legal_name: str = omittable(max_length=200)
    business_number: str = omittable(max_length=32)
    status: Client.Status = omittable()
    time_zone: str = omittable(min_length=1, max_length=64)
    language: Language = omittable()
    notes: str = omittable(max_length=NOTES)


class ClientOut(Schema):
    id: int
    name: str
    code: str
    legal_name: str
    business_number: str
    status: str
    time_zone: str
    language: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientQuery(ListQuery):
    status: Client.Status | None = None
    q: str | None = Field(None, max_length=200, description="Part of the name or code.")
    ordering: Literal["name", "-name", "code", "-code", "status", "-status", "created_at", "-created_at"] = "name"  # fmt: skip


class ClientPage(Page[ClientOut]):
    pass


# --- Sites --------------------------------------------------------------------------------------


class SiteIn(InputSchema):
    name: str = Field(min_length=1, max_length=200, examples=["Busan hub"])
    address: str = Field("", max_length=300, examples=["55 Jungang-daero, Busan"])
    time_zone: str = Field("Asia/Seoul", min_length=1, max_length=64, examples=["Asia/Seoul"])
    notes: str = Field("", max_length=NOTES)


class SitePatch(InputSchema):
    name: str = omittable(min_length=1, max_length=200)
    address: str = omittable(max_length=300)
    time_zone: str = omittable(min_length=1, max_length=64)
    notes: str = omittable(max_length=NOTES)


class SiteOut(Schema):
    id: int
    client_id: int
    name: str
    address: str
    time_zone: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class SiteQuery(ListQuery):
    q: str | None = Field(None, max_length=200, description="Part of the name or address.")
    ordering: Literal["name", "-name", "created_at", "-created_at"] = "name"


class SitePage(Page[SiteOut]):
    pass


# --- Contacts -----------------------------------------------------------------------------------


class ContactIn(InputSchema):
    site_id: int | None = Field(None, ge=1, le=MAX_ID, description="A site of the same client.")
    name: str = Field(min_length=1, max_length=200, examples=["Kim Minji"])
    email: str = Field("", max_length=254, examples=["minji.kim@hanbit.example"])
    phone: str = Field("", max_length=40, examples=["+82 2 1234 5678"])
    title: str = Field("", max_length=100, examples=["IT manager"])
    is_primary: bool = False
    language: Language = "ko"
    notes: str = Field("", max_length=NOTES)


class ContactPatch(InputSchema):
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str = omittable(min_length=1, max_length=200)
    email: str = omittable(max_length=254)
    phone: str = omittable(max_length=40)
    title: str = omittable(max_length=100)
    is_primary: bool = omittable()
    language: Language = omittable()
    notes: str = omittable(max_length=NOTES)


class ContactOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    name: str
    email: str
    phone: str
    title: str
    is_primary: bool
    language: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactQuery(ListQuery):
    q: str | None = Field(None, max_length=200, description="Part of name, email, phone or title.")
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    ordering: Literal["name", "-name", "created_at", "-created_at"] = "name"


class ContactPage(Page[ContactOut]):
    pass


# --- Contracts ----------------------------------------------------------------------------------

SERVICES_DOC = "Codes from the service catalogue: " + ", ".join(SERVICE_CATALOGUE) + "."


def _check_services(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [s for s in value if s not in SERVICE_CATALOGUE]
    if unknown:
        raise ValueError(
            f"Unknown service '{unknown[0]}'; known services: {', '.join(SERVICE_CATALOGUE)}."
        )
    if len(set(value)) != len(value):
        raise ValueError("Each service may be listed once.")
    return value


class SlaTargetIn(InputSchema):
    priority: SlaTarget.Priority
    first_response_minutes: int = Field(ge=1, le=MAX_INT, description="Working minutes.")
    next_response_minutes: int | None = Field(None, ge=1, le=MAX_INT)
    resolution_minutes: int = Field(ge=1, le=MAX_INT)
    always_open: bool = Field(False, description="The clock runs 24x7 for this priority.")


class SlaTargetOut(Schema):
    priority: str
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int
    always_open: bool


_SERVICES_SCHEMA: dict[str, Any] = {"items": {"type": "string", "enum": list(SERVICE_CATALOGUE)}}


class _ContractFields(InputSchema):
    @field_validator("services", check_fields=False)
    @classmethod
    def _known_services(cls, value: list[str] | None) -> list[str] | None:
        return _check_services(value)


class ContractIn(_ContractFields):
    name: str = Field(min_length=1, max_length=200, examples=["Managed services 2026"])
    reference: str = Field(
        "", max_length=64, description="The contract number.", examples=["MSA-2026-001"]
    )
    start_date: dt.date = Field(examples=["2026-01-01"])
    end_date: dt.date | None = Field(None, examples=["2026-12-31"])
    renewal: Contract.Renewal = Contract.Renewal.AUTOMATIC
    notice_days: int = Field(30, ge=0, le=MAX_INT)
    services: list[str] = Field(
        default_factory=list,
        max_length=len(SERVICE_CATALOGUE),
        description=SERVICES_DOC,
        json_schema_extra=_SERVICES_SCHEMA,
        examples=[["monitoring", "service_desk"]],
    )
    support_hours: Contract.SupportHours = Field(Contract.SupportHours.CALENDAR, examples=["24x7"])
    calendar_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Required when support_hours is calendar."
    )
    availability_target: Decimal = Field(
        Decimal("99.900"), max_digits=6, decimal_places=3, ge=0, le=100
    )
    billing_model: Contract.BillingModel = Contract.BillingModel.FIXED_MONTHLY
    rate: Decimal = Field(Decimal("0"), max_digits=14, decimal_places=2, ge=0)
    currency: str = Field("KRW", pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    included_hours: Decimal | None = Field(None, max_digits=8, decimal_places=2, ge=0)
    dpa_signed: bool = False
    dpa_signed_on: dt.date | None = None
    data_location: str = Field("KR", max_length=100)
    retention_days: int = Field(1095, ge=0, le=MAX_INT)
    report_frequency: Contract.Frequency = Contract.Frequency.MONTHLY
    report_recipients: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Email addresses.",
        examples=[["it@hanbit.example"]],
    )
    meeting_cadence: Contract.Frequency = Contract.Frequency.QUARTERLY
    qbr_email: bool = Field(
        False, description="E-mail the quarterly business review after each review period."
    )
    qbr_recipients: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Email addresses for the quarterly review; empty: the report recipients.",
    )
    qbr_delay_days: int = Field(
        5, ge=0, le=60, description="Days after the quarter ends before the review is sent."
    )
    sla_targets: list[SlaTargetIn] = Field(
        default_factory=list, max_length=4, description="At most one per priority."
    )

    @field_validator("report_recipients", "qbr_recipients")
    @classmethod
    def _short_addresses(cls, value: list[str]) -> list[str]:
        if any(len(address) > 254 for address in value):
            raise ValueError("An email address has at most 254 characters.")
        return value


class ContractPatch(_ContractFields):
    name: str = omittable(min_length=1, max_length=200)
    reference: str = omittable(max_length=64)
    start_date: dt.date = omittable()
    end_date: dt.date | None = None
    renewal: Contract.Renewal = omittable()
    notice_days: int = omittable(ge=0, le=MAX_INT)
    services: list[str] = omittable(
        max_length=len(SERVICE_CATALOGUE),
        description=SERVICES_DOC,
        json_schema_extra=_SERVICES_SCHEMA,
    )
    support_hours: Contract.SupportHours = omittable()
    calendar_id: int | None = Field(None, ge=1, le=MAX_ID)
    availability_target: Decimal = omittable(max_digits=6, decimal_places=3, ge=0, le=100)
    billing_model: Contract.BillingModel = omittable()
    rate: Decimal = omittable(max_digits=14, decimal_places=2, ge=0)
    currency: str = omittable(pattern=r"^[A-Z]{3}$")
    included_hours: Decimal | None = Field(None, max_digits=8, decimal_places=2, ge=0)
    dpa_signed: bool = omittable()
    dpa_signed_on: dt.date | None = None
    data_location: str = omittable(max_length=100)
    retention_days: int = omittable(ge=0, le=MAX_INT)
    report_frequency: Contract.Frequency = omittable()
    report_recipients: list[str] = omittable(max_length=50)
    meeting_cadence: Contract.Frequency = omittable()
    qbr_email: bool = omittable()
    qbr_recipients: list[str] = omittable(max_length=50)
    qbr_delay_days: int = omittable(ge=0, le=60)
    sla_targets: list[SlaTargetIn] = omittable(
        max_length=4, description="Replaces all targets of the contract."
    )

    @field_validator("report_recipients", "qbr_recipients")
    @classmethod
    def _short_addresses(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(address) > 254 for address in value):
            raise ValueError("An email address has at most 254 characters.")
        return value


class ContractOut(Schema):
    id: int
    client_id: int
    name: str
    reference: str
    status: Literal["upcoming", "active", "expired"]
    start_date: dt.date
    end_date: dt.date | None
    renewal: str
    notice_days: int
    services: list[str]
    support_hours: str
    calendar_id: int | None
    availability_target: Decimal
    billing_model: str
    rate: Decimal
    currency: str
    included_hours: Decimal | None
    dpa_signed: bool
    dpa_signed_on: dt.date | None
    data_location: str
    retention_days: int
    report_frequency: str
    report_recipients: list[str]
    meeting_cadence: str
    qbr_email: bool
    qbr_recipients: list[str]
    qbr_delay_days: int
    sla_targets: list[SlaTargetOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status(obj: Contract) -> str:
        return obj.status()


class ContractQuery(ListQuery):
    q: str | None = Field(None, max_length=200, description="Part of the name or number.")
    status: Literal["upcoming", "active", "expired"] | None = Field(
        None, description="As of today in the server's time zone."
    )
    ordering: Literal["start_date", "-start_date", "end_date", "-end_date", "name", "-name"] = "-start_date"  # fmt: skip


class ContractPage(Page[ContractOut]):
    pass


# --- Calendars ----------------------------------------------------------------------------------


INTERVALS_EXAMPLE = [
    {"weekday": day, "start": start, "end": end}
    for day in range(5)
    for start, end in (("09:00", "12:00"), ("13:00", "18:00"))
]


class IntervalIn(InputSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday.")
    start: str = Field(max_length=5, description="Local time HH:MM, e.g. 09:00.")
    end: str = Field(max_length=5, description="Local time HH:MM; 24:00 is midnight at the end.")

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        try:
            workcal.parse_hhmm(value)
        except workcal.CalendarError as exc:
            raise ValueError(exc.message) from None
        return value

    def as_tuple(self) -> tuple[int, int, int]:
        return self.weekday, workcal.parse_hhmm(self.start), workcal.parse_hhmm(self.end)


class IntervalOut(Schema):
    weekday: int
    start: str
    end: str


class CalendarIn(InputSchema):
    client_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The client; leave out for an MSP-wide calendar."
    )
    name: str = Field(min_length=1, max_length=200, examples=["Seoul office hours"])
    time_zone: str = Field("Asia/Seoul", min_length=1, max_length=64, examples=["Asia/Seoul"])
    always_open: bool = Field(False, description="24x7: intervals and holidays are ignored.")
    holiday_country: str | None = Field(
        "KR", max_length=8, description="ISO 3166 code whose public holidays close the calendar."
    )
    holiday_subdivision: str | None = Field(None, max_length=16)
    intervals: list[IntervalIn] = Field(
        default_factory=list, max_length=336, examples=[INTERVALS_EXAMPLE]
    )


class CalendarPatch(InputSchema):
    name: str = omittable(min_length=1, max_length=200)
    time_zone: str = omittable(min_length=1, max_length=64)
    always_open: bool = omittable()
    holiday_country: str | None = Field(None, max_length=8)
    holiday_subdivision: str | None = Field(None, max_length=16)
    intervals: list[IntervalIn] = omittable(
        max_length=336, description="Replaces all intervals.", examples=[INTERVALS_EXAMPLE]
    )


class CalendarOut(Schema):
    id: int
    client_id: int | None = Field(description="Empty for an MSP-wide calendar.")
    name: str
    time_zone: str
    always_open: bool
    holiday_country: str
    holiday_subdivision: str
    intervals: list[IntervalOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_intervals(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "weekday": i.weekday,
                "start": workcal.format_minute(i.start_minute),
                "end": workcal.format_minute(i.end_minute),
            }
            for i in obj.intervals.all()
        ]


class CalendarQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="Calendars of this client.")
    msp_wide: bool | None = Field(None, description="true: MSP-wide only; false: clients' only.")
    q: str | None = Field(None, max_length=200, description="Part of the name.")
    ordering: Literal["name", "-name", "created_at", "-created_at"] = "name"


class CalendarPage(Page[CalendarOut]):
    pass


class SpecialDayIn(InputSchema):
    date: dt.date = Field(examples=["2026-04-01"])
    name: str = Field(min_length=1, max_length=200, examples=["Founding day"])
    kind: SpecialDay.Kind = Field(
        SpecialDay.Kind.CLOSED, description="closed: no work that day; open: an extra working day."
    )
    recurs_yearly: bool = False


class SpecialDayOut(Schema):
    id: int
    calendar_id: int
    date: dt.date
    name: str
    kind: str
    recurs_yearly: bool


class SpecialDayQuery(ListQuery):
    kind: Literal["closed", "open"] | None = Field(None, description="Closed days or working days.")
    since: dt.date | None = Field(None, description="Dates on or after this one.")
    until: dt.date | None = Field(None, description="Dates on or before this one.")
    ordering: Literal["date", "-date", "name", "-name"] = "date"


class SpecialDayPage(Page[SpecialDayOut]):
    pass


# --- Working-time arithmetic --------------------------------------------------------------------


class PreviewQuery(QuerySchema):
    start: Instant | None = Field(
        None,
        description="From this instant (default: now).",
        examples=["2026-03-02T08:30:00+09:00"],
    )
    count: int = Field(10, ge=1, le=100, description="How many working periods.")


class PeriodOut(Schema):
    start: dt.datetime = Field(description="UTC.")
    end: dt.datetime = Field(description="UTC.")
    local_start: dt.datetime = Field(description="In the calendar's time zone.")
    local_end: dt.datetime


class PreviewOut(Schema):
    calendar_id: int
    time_zone: str
    periods: list[PeriodOut]


class WorkingMinutesQuery(QuerySchema):
    start: Instant = Field(examples=["2026-03-02T08:30:00+09:00"])
    end: Instant = Field(examples=["2026-03-06T18:00:00+09:00"])


class WorkingMinutesOut(Schema):
    start: dt.datetime
    end: dt.datetime
    minutes: int = Field(description="Whole working minutes in [start, end].")


class AddMinutesQuery(QuerySchema):
    start: Instant = Field(examples=["2026-03-02T17:30:00+09:00"])
    minutes: int = Field(ge=0, le=10_000_000, description="Working minutes to add.", examples=[240])


class AddMinutesOut(Schema):
    start: dt.datetime
    minutes: int
    end: dt.datetime = Field(description="When the working minutes have passed (UTC).")
    local_end: dt.datetime = Field(description="The same instant in the calendar's time zone.")
