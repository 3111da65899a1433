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


# --- Quarterly business review (openmsp.reports.qbr, docs/qbr.md) ----------------------------


class Qbr(TenantOwned):
    """One client's quarter: the figures frozen when generated (trends of the three months,
    recurring problems, recommendations, cost) and the meeting agenda, which staff edit."""

    quarter_start = models.DateField(_("quarter"))
    quarter_end = models.DateField(_("until"))  # exclusive: the first day after the quarter
    language = models.CharField(_("language"), max_length=8, default="ko")
    figures = models.JSONField(default=dict)
    agenda = models.TextField(_("agenda"), blank=True)  # one item per line
    agenda_edited = models.BooleanField(default=False)  # regenerating keeps an edited agenda
    generated_by = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["client", "-quarter_start"]
        constraints = [
            models.UniqueConstraint(fields=["client", "quarter_start"], name="qbr_one_per_quarter")
        ]

    def __str__(self) -> str:
        return f"QBR {self.quarter}"

    @property
    def quarter(self) -> str:
        return f"{self.quarter_start.year}-Q{(self.quarter_start.month - 1) // 3 + 1}"

    @property
    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]


class RootCause(TenantOwned):
    """What a technician found behind a recurring problem, kept per client and fingerprint so
    that the next quarter's review shows it again when the problem keeps coming back."""

    fingerprint = models.CharField(max_length=600)
    text = models.TextField(_("root cause"))
    updated_by = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["client", "fingerprint"]
        constraints = [
            models.UniqueConstraint(fields=["client", "fingerprint"], name="rootcause_per_problem")
        ]

    def __str__(self) -> str:
        return f"root cause of {self.fingerprint}"


class Meeting(TenantOwned):
    """The review meeting held with the client about one QBR."""

    qbr = models.ForeignKey(Qbr, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("date"))
    attendees = models.TextField(_("attendees"), blank=True)  # one per line
    decisions = models.TextField(_("decisions"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"meeting {self.held_on}"

    @property
    def attendee_list(self) -> list[str]:
        return [line.strip() for line in self.attendees.splitlines() if line.strip()]


class ActionItem(TenantOwned):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(_("action"), max_length=500)
    owner = models.CharField(_("owner"), max_length=200)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["done", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


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


class QbrRun(TenantOwned):
    """The scheduled QBR of one client and quarter, and its archive: the PDF as e-mailed and to
    whom. Created with its job in one transaction and unique per client and quarter (like
    ReportRun), so two schedulers never generate or mail it twice; the job claims it
    (queued -> running) with a conditional UPDATE."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        GENERATED = "generated", _("Generated")  # figures stored, not mailed (yet)
        MAILED = "mailed", _("Mailed")
        FAILED = "failed", _("Failed")

    quarter = models.DateField(_("quarter"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    qbr = models.ForeignKey(
        Qbr, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    pdf = models.BinaryField(editable=False, default=b"")
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-quarter", "client"]
        constraints = [
            models.UniqueConstraint(fields=["client", "quarter"], name="qbr_run_once_per_quarter")
        ]

    def __str__(self) -> str:
        return f"QBR run {self.client_id} {self.label} ({self.state})"

    @property
    def label(self) -> str:
        return f"{self.quarter.year}-Q{(self.quarter.month - 1) // 3 + 1}"
