"""Client reports: one row per client, kind and period, with the figures frozen when generated.

The figures are a snapshot (JSON): the page, the PDF and the e-mail are all rendered from it, so a
report reads the same forever even when telemetry past its retention is gone. Regenerating a
past period recomputes the figures from the raw events; as long as those are kept, the result is
the same (everything is computed as of the period's end, never as of "now").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from openmsp.tenants.models import TenantOwned


class Report(TenantOwned):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly service report")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MONTHLY)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))  # exclusive: the first day after the period
    language = models.CharField(_("language"), max_length=8, default="ko")
    figures = models.JSONField(default=dict)
    summary = models.JSONField(default=list)  # sentences, in `language`
    pdf = models.BinaryField(editable=False, default=b"")
    generated_by = models.CharField(max_length=300, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["client", "-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "period_start"], name="reports_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m}"

    @property
    def month(self) -> str:
        return f"{self.period_start:%Y-%m}"


class ReportRun(TenantOwned):
    """The scheduled monthly run of one client and month. The scheduler creates the row and
    enqueues its job in one transaction, and the unique constraint lets that happen once, so
    each client and month is enqueued exactly once; the job claims the row (queued -> running)
    with a conditional UPDATE, so a duplicate delivery does nothing."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    month = models.DateField(_("month"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "client"]
        constraints = [
            models.UniqueConstraint(fields=["client", "month"], name="report_run_once_per_month")
        ]

    def __str__(self) -> str:
        return f"report run {self.client_id} {self.month:%Y-%m} ({self.state})"
