"""Integration interfaces: the client's data flows (batches and message streams) the MSP runs.

The integration solution (or the agent reading its logs) reports each run or interval to
`POST /api/v1/interfaces/report` with the interface's report token; the per-report rules are
judged then (openmsp.interfaces.report_actions). What silence means (a batch that did not start
or finish, traffic that did not arrive) is a deadline: `next_evaluation_at`, found by one indexed
query and claimed with a conditional UPDATE (openmsp.interfaces.evaluation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.tenants.models import TenantOwned

if TYPE_CHECKING:
    from openmsp.interfaces.rules import Thresholds

DEFAULT_TIME_ZONE = "Asia/Seoul"


def _limit(label: Any, *, maximum: int = 2**31 - 1) -> Any:
    return models.PositiveIntegerField(
        label, null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(maximum)]
    )


class Interface(TenantOwned):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")
        BOTH = "both", _("Both ways")

    class Protocol(models.TextChoices):
        FILE = "file", _("File / SFTP")
        DB = "db", _("Database")
        REST = "rest", _("REST")
        SOAP = "soap", _("SOAP")
        MQ = "mq", _("Message queue")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_name = models.CharField(_("owner (name)"), max_length=200, blank=True)
    source_system = models.CharField(_("source system"), max_length=200, blank=True)
    target_system = models.CharField(_("target system"), max_length=200, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    protocol = models.CharField(
        _("protocol"), max_length=10, choices=Protocol.choices, default=Protocol.OTHER
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    paused = models.BooleanField(_("paused"), default=False)

    # Batch schedule: when a run should start (cron read in time_zone) and finish.
    cron = models.CharField(_("schedule (cron)"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    start_grace_minutes = models.PositiveIntegerField(
        _("start grace (minutes)"), default=15, validators=[MaxValueValidator(1440)]
    )
    deadline_minutes = _limit(_("finish deadline (minutes after start)"), maximum=10080)

    # SLA thresholds; empty means "not watched".
    max_error_rate = models.FloatField(
        _("max error rate (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_failures = _limit(_("max failures per run"))
    max_backlog = _limit(_("max backlog depth"))
    max_oldest_age_seconds = _limit(_("max age of oldest message (s)"))
    max_latency_ms = _limit(_("max latency p95 (ms)"))
    expect_traffic = models.BooleanField(_("expected traffic check"), default=False)
    min_traffic_ratio = models.FloatField(
        _("minimum share of the baseline"),
        default=0.3,
        validators=[MinValueValidator(0.01), MaxValueValidator(1)],
    )

    # The solution's credential: only its SHA-256 is kept; the prefix recognises it.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)

    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    # rule -> last observed status, for the list page and for "ok when it clears".
    rule_status = models.JSONField(default=dict, blank=True)
    next_evaluation_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "name", "pk"]
        indexes = [
            models.Index(
                fields=["next_evaluation_at"],
                name="interface_evaluation_due",
                condition=Q(next_evaluation_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "code"],
                name="interface_code_per_client",
                violation_error_message=_("This client already has an interface with that code."),
                violation_error_code="unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def thresholds(self) -> Thresholds:
        from openmsp.interfaces.rules import Thresholds

        return Thresholds(
            max_error_rate=self.max_error_rate,
            max_failures=self.max_failures,
            max_backlog=self.max_backlog,
            max_oldest_age_seconds=self.max_oldest_age_seconds,
            max_latency_ms=self.max_latency_ms,
        )


class InterfaceRun(models.Model):
    """One batch run or one reporting interval, as the solution reported it."""

    interface = models.ForeignKey(Interface, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    processed = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    failures_by_code = models.JSONField(default=dict, blank=True)
    latency_p95_ms = models.FloatField(null=True, blank=True)
    backlog_depth = models.PositiveBigIntegerField(null=True, blank=True)
    oldest_message_age_seconds = models.PositiveBigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["interface", "started_at"], name="interface_run_started")]
        constraints = [
            models.UniqueConstraint(fields=["interface", "run_id"], name="interface_run_once")
        ]

    def __str__(self) -> str:
        return self.run_id
