"""Heartbeats: dead man's switches for cron jobs, batch jobs and integration batches.

A job pings its heartbeat's URL (`/ping/<ping_key>`, with `/start`, `/fail` or an exit code);
silence is the alarm. Lateness is a deadline, not a sweep: every ping sets `alert_after` (when
the heartbeat is late, or, while a run is going, when it has run too long), and the late detector
finds due rows with one indexed query (see openmsp.heartbeats.ping_actions.detect_late).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.heartbeats import schedule as sched
from openmsp.tenants.models import Site, TenantOwned

MAX_SECONDS = 366 * 86400  # a year and a day: yearly jobs fit, typos in seconds do not
BODY_LIMIT = 10_000  # bytes of a ping's body kept; the rest is dropped and flagged


def _seconds(label: Any, *, null: bool = False, default: int | None = None) -> Any:
    return models.PositiveIntegerField(
        label,
        null=null,
        blank=null,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SECONDS)],
    )


class Heartbeat(TenantOwned):
    class Kind(models.TextChoices):
        PERIOD = "period", _("Period")
        CRON = "cron", _("Cron expression")

    class State(models.TextChoices):
        NEW = "new", _("New")
        UP = "up", _("Up")
        RUNNING = "running", _("Running")
        LATE = "late", _("Late")
        FAILED = "failed", _("Failed")

    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL
    )
    asset = models.ForeignKey(
        "assets.Asset", verbose_name=_("asset"), null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, blank=True, allow_unicode=False)
    description = models.TextField(_("description"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # 122 random bits: the ping URL is the only credential a job needs (healthchecks' design).
    ping_key = models.UUIDField(_("ping key"), default=uuid.uuid4, unique=True, editable=False)

    kind = models.CharField(_("schedule"), max_length=10, choices=Kind.choices, default=Kind.PERIOD)
    period_seconds = _seconds(_("period (seconds)"), default=86400)
    cron = models.CharField(_("cron expression"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=sched.DEFAULT_TIME_ZONE)
    grace_seconds = _seconds(_("grace (seconds)"), default=3600)
    min_run_seconds = _seconds(_("finished too fast under (seconds)"), null=True)
    max_run_seconds = _seconds(_("ran too long over (seconds)"), null=True)
    min_interval_seconds = _seconds(_("too often under (seconds between successes)"), null=True)

    paused = models.BooleanField(_("paused"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    last_ping_at = models.DateTimeField(_("last ping"), null=True, blank=True)
    last_start_at = models.DateTimeField(_("last start"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_duration = models.DurationField(_("last run time"), null=True, blank=True)
    alert_after = models.DateTimeField(null=True, blank=True)
    # Rules whose last observation was not "ok": the next good news observes "ok" for them,
    # and only then (a healthy heartbeat's pings observe nothing).
    open_rules = models.JSONField(default=list, blank=True)
    ping_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["client", "name", "pk"]
        indexes = [
            # The late detector's only query: due deadlines (paused and late ones have none).
            models.Index(
                fields=["alert_after"],
                name="heartbeat_deadline",
                condition=Q(alert_after__isnull=False),
            ),
            models.Index(fields=["client", "name"], name="heartbeat_client_name"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "slug"],
                condition=~Q(slug=""),
                name="heartbeat_slug_per_client",
                violation_error_message=_("This client already has a heartbeat with that slug."),
                violation_error_code="unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule(self) -> sched.Schedule:
        kind: sched.Kind = "cron" if self.kind == self.Kind.CRON else "period"
        return sched.Schedule(
            kind=kind,
            grace=dt.timedelta(seconds=self.grace_seconds or 0),
            period=dt.timedelta(seconds=self.period_seconds or 0),
            cron=self.cron,
            time_zone=self.time_zone,
        )

    @property
    def limits(self) -> sched.RunLimits:
        def td(seconds: int | None) -> dt.timedelta | None:
            return dt.timedelta(seconds=seconds) if seconds else None

        return sched.RunLimits(
            min_run=td(self.min_run_seconds),
            max_run=td(self.max_run_seconds),
            min_interval=td(self.min_interval_seconds),
        )

    def next_expected_at(self) -> dt.datetime | None:
        """When the next success is expected (None before the first ping or while paused)."""
        if self.paused or self.last_success_at is None:
            return None
        try:
            return sched.next_expected(self.schedule, self.last_success_at)
        except sched.ScheduleError:
            return None


class Ping(models.Model):
    """One signal from a job, kept as received. `duration` is measured from the run's start."""

    class Kind(models.TextChoices):
        START = "start", _("Start")
        SUCCESS = "success", _("Success")
        FAIL = "fail", _("Failure")
        LOG = "log", _("Log")

    heartbeat = models.ForeignKey(Heartbeat, on_delete=models.CASCADE, related_name="pings")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    exit_status = models.PositiveSmallIntegerField(null=True, blank=True)  # /ping/<key>/<0-255>
    method = models.CharField(max_length=8)
    remote_addr = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    body_truncated = models.BooleanField(default=False)
    duration = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["heartbeat", "at"], name="ping_heartbeat_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at.isoformat()}"
