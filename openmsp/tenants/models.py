"""Clients (the tenants) and what the MSP records about each: sites, contacts, contracts, calendars."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openmsp.core.models import TimestampedModel
from openmsp.tenants import calendar as workcal


class TenantQuerySet(models.QuerySet[Any]):
    """Row-level visibility, applied in one place (see openmsp.tenants.queries)."""

    def for_clients(self, client_ids: Any) -> TenantQuerySet:
        return self.filter(client_id__in=client_ids)


class Client(TimestampedModel):
    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        OFFBOARDED = "offboarded", _("Offboarded")

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(
        _("short code"), max_length=32, unique=True, help_text=_("Used in ticket tags and URLs.")
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    business_number = models.CharField(_("business registration number"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default="active")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul")
    language = models.CharField(
        _("language"), max_length=8, choices=[("ko", "한국어"), ("en", "English")], default="ko"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> int:
        """A client is its own tenant: lets generic code read `obj.client_id` on any tenant row."""
        return self.pk


class TenantOwned(TimestampedModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, verbose_name=_("client"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Site(TenantOwned):
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["client", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "name"],
                name="site_name_per_client",
                violation_error_message=_("This client already has a site with that name."),
                violation_error_code="unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TenantOwned):
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    language = models.CharField(
        _("language"), max_length=8, choices=[("ko", "한국어"), ("en", "English")], default="ko"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["client", "name"]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(TimestampedModel):
    """Working hours, public holidays and closed days; `client` empty = an MSP-wide calendar."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul")
    always_open = models.BooleanField(_("24×7"), default=False)
    holiday_country = models.CharField(
        _("public holidays of"), max_length=8, blank=True, default="KR"
    )
    holiday_subdivision = models.CharField(_("region"), max_length=16, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="calendar_name_per_client"),
            # NULLs are distinct in the constraint above: MSP-wide calendars need their own.
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(client__isnull=True),
                name="msp_calendar_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def to_spec(self, years: range | None = None) -> workcal.CalendarSpec:
        """The pure calendar the arithmetic runs on (recurring closed days expanded over *years*)."""
        today = timezone.now().date()
        years = years or range(today.year - 3, today.year + 6)
        closed: set[dt.date] = set()
        opened: set[dt.date] = set()
        for day in self.special_days.all():
            target = closed if day.kind == SpecialDay.Kind.CLOSED else opened
            for date in day.occurrences(years):
                target.add(date)
        return workcal.CalendarSpec(
            timezone=self.time_zone,
            intervals=tuple(
                workcal.WorkingInterval(i.weekday, i.start_minute, i.end_minute)
                for i in self.intervals.all()
            ),
            always_open=self.always_open,
            holiday_country=self.holiday_country or None,
            holiday_subdivision=self.holiday_subdivision or None,
            closed_dates=frozenset(closed),
            open_dates=frozenset(opened),
        )


class WorkingInterval(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start_minute = models.PositiveSmallIntegerField(validators=[MaxValueValidator(1439)])
    end_minute = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )

    class Meta:
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                name="interval_end_after_start",
                condition=models.Q(end_minute__gt=models.F("start_minute")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {workcal.format_minute(self.start_minute)}–{workcal.format_minute(self.end_minute)}"


class SpecialDay(models.Model):
    """A client-specific closed day (founding day, temporary holiday) or an extra working day."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Closed")
        OPEN = "open", _("Working day")

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="special_days"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CLOSED)
    recurs_yearly = models.BooleanField(_("every year"), default=False)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="special_day_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    @property
    def client_id(self) -> int | None:
        return self.calendar.client_id

    def occurrences(self, years: range) -> list[dt.date]:
        if not self.recurs_yearly:
            return [self.date]
        dates = []
        for year in years:
            try:
                dates.append(self.date.replace(year=year))
            except ValueError:  # 29 February in a common year
                continue
        return dates


class Contract(TenantOwned):
    class Renewal(models.TextChoices):
        AUTOMATIC = "automatic", _("Renews automatically")
        MANUAL = "manual", _("Renewed by agreement")
        NONE = "none", _("Ends")

    class SupportHours(models.TextChoices):
        ALWAYS = "24x7", _("24×7")
        CALENDAR = "calendar", _("Business calendar")

    class BillingModel(models.TextChoices):
        PER_DEVICE = "per_device", _("Per device")
        PER_USER = "per_user", _("Per user")
        FIXED_MONTHLY = "fixed_monthly", _("Fixed monthly fee")
        BLOCK_HOURS = "block_hours", _("Block of hours")
        TIME_AND_MATERIALS = "time_and_materials", _("Time and materials")

    class Frequency(models.TextChoices):
        NONE = "none", _("None")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        SEMIANNUAL = "semiannual", _("Every six months")
        ANNUAL = "annual", _("Yearly")

    name = models.CharField(_("name"), max_length=200)
    reference = models.CharField(_("contract number"), max_length=64, blank=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    renewal = models.CharField(
        _("renewal"), max_length=20, choices=Renewal.choices, default=Renewal.AUTOMATIC
    )
    notice_days = models.PositiveIntegerField(_("notice period (days)"), default=30)
    services = models.JSONField(_("services in scope"), default=list, blank=True)
    support_hours = models.CharField(
        _("support hours"),
        max_length=20,
        choices=SupportHours.choices,
        default=SupportHours.CALENDAR,
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    availability_target = models.DecimalField(
        _("availability target (%)"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.900"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    billing_model = models.CharField(
        _("billing model"),
        max_length=30,
        choices=BillingModel.choices,
        default=BillingModel.FIXED_MONTHLY,
    )
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="KRW")
    included_hours = models.DecimalField(
        _("hours included"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    dpa_signed = models.BooleanField(_("data processing agreement signed"), default=False)
    dpa_signed_on = models.DateField(_("signed on"), null=True, blank=True)
    data_location = models.CharField(_("data location"), max_length=100, default="KR")
    retention_days = models.PositiveIntegerField(_("retention period (days)"), default=1095)
    report_frequency = models.CharField(
        _("report frequency"), max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    report_recipients = models.JSONField(_("report recipients"), default=list, blank=True)
    meeting_cadence = models.CharField(
        _("review meetings"), max_length=20, choices=Frequency.choices, default=Frequency.QUARTERLY
    )
    # The quarterly business review by e-mail (openmsp.reports.qbr_jobs): off unless asked for;
    # sent for the quarters that close a `meeting_cadence` period, `qbr_delay_days` after the
    # quarter ends so the last time entries and surveys are in.
    qbr_email = models.BooleanField(_("e-mail the quarterly review"), default=False)
    qbr_recipients = models.JSONField(
        _("quarterly review recipients"),
        default=list,
        blank=True,
        help_text=_("Empty: the report recipients."),
    )
    qbr_delay_days = models.PositiveSmallIntegerField(
        _("days after the quarter"),
        default=5,
        validators=[MaxValueValidator(60)],
        help_text=_("How long after the quarter ends the review is generated and sent."),
    )

    class Meta:
        ordering = ["client", "-start_date"]
        constraints = [
            models.CheckConstraint(
                name="contract_ends_after_start",
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def review_recipients(self) -> list[str]:
        """Who receives the quarterly review: its own list, else the report recipients."""
        return list(self.qbr_recipients or self.report_recipients)

    def status(self, today: dt.date | None = None) -> str:
        today = today or timezone.localdate()
        if today < self.start_date:
            return "upcoming"
        if self.end_date is not None and today > self.end_date:
            return "expired"
        return "active"


class SlaTarget(models.Model):
    """Contracted response and resolution targets for one priority, in working minutes."""

    class Priority(models.TextChoices):
        P1 = "P1", _("P1 critical")
        P2 = "P2", _("P2 high")
        P3 = "P3", _("P3 medium")
        P4 = "P4", _("P4 low")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="sla_targets")
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (working minutes)"))
    next_response_minutes = models.PositiveIntegerField(
        _("next response (working minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution (working minutes)"))
    always_open = models.BooleanField(
        _("clock runs 24×7"), default=False, help_text=_("E.g. P1 around the clock.")
    )

    class Meta:
        ordering = ["contract", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "priority"], name="one_target_per_priority")
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.priority}"

    @property
    def client_id(self) -> int:
        return self.contract.client_id


SERVICE_CATALOGUE: dict[str, Any] = {  # code -> lazily translated label
    "monitoring": _("24×7 monitoring"),
    "service_desk": _("Service desk"),
    "integration_ops": _("Integration solution operations"),
    "patching": _("Patch management"),
    "backup": _("Backup and restore tests"),
    "security": _("Security monitoring"),
    "network": _("Network management"),
    "cloud": _("Cloud accounts"),
    "consulting": _("Reports and reviews"),
}
