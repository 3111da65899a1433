"""Problems (the one lifecycle every signal feeds), their timeline, maintenance windows,
dependencies between assets, and the tokens Alertmanager authenticates with.

A Problem row carries the lifecycle columns of openmsp.alerts.lifecycle.Track. At most one problem
per fingerprint is open (pending, firing or acknowledged): a conditional unique constraint, so two
concurrent first failures cannot open two. The latest problem of a fingerprint (open or recently
resolved, for reopening) is found by the (fingerprint, -id) index; an observation that changes
nothing is that one lookup plus at most one conditional UPDATE (ADR 0004).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.assets.models import Asset
from openmsp.tenants.models import Site, TenantOwned

OPEN = ("pending", "firing", "acknowledged")


class Problem(TenantOwned):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        FIRING = "firing", _("Firing")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    class Severity(models.TextChoices):
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    fingerprint = models.CharField(max_length=600)
    source = models.CharField(_("source"), max_length=40)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=200)
    rule = models.CharField(_("rule"), max_length=200)
    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), null=True, blank=True, on_delete=models.SET_NULL
    )
    title = models.CharField(_("title"), max_length=300)
    summary = models.CharField(_("summary"), max_length=1000, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    state = models.CharField(_("state"), max_length=15, choices=State.choices)
    external = models.BooleanField(default=False)
    labels = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    policy = models.JSONField(default=dict, blank=True)  # the NoisePolicy last seen (for jobs)

    # Lifecycle counters (openmsp.alerts.lifecycle.Track).
    last_status = models.CharField(max_length=10)
    failures = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    ok_since = models.DateTimeField(null=True, blank=True)
    flapping = models.BooleanField(_("flapping"), default=False)
    flips = models.JSONField(default=list, blank=True)
    notified = models.BooleanField(default=False)
    repeat_count = models.PositiveIntegerField(_("repeats"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    version = models.PositiveBigIntegerField(default=0)  # compare-and-set of concurrent writers

    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    fired_at = models.DateTimeField(_("fired"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # A pending problem that recovered but awaits `recovery_seconds`: the job resolves it then.
    recover_at = models.DateTimeField(null=True, blank=True)

    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ack_comment = models.TextField(_("acknowledgement comment"), blank=True)
    ack_expires_at = models.DateTimeField(_("acknowledgement expires"), null=True, blank=True)

    suppressed_by = models.ForeignKey(
        "self",
        verbose_name=_("suppressed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suppressed",
    )
    in_maintenance = models.BooleanField(_("in maintenance"), default=False)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(state__in=OPEN),
                name="alerts_one_open_problem_per_fingerprint",
            )
        ]
        indexes = [
            models.Index(fields=["fingerprint", "-id"], name="alerts_problem_latest"),
            models.Index(fields=["client", "state", "-last_seen_at"], name="alerts_problem_board"),
            # The job's deadlines: one partial index each.
            models.Index(
                fields=["ack_expires_at"],
                name="alerts_ack_deadline",
                condition=Q(state="acknowledged", ack_expires_at__isnull=False),
            ),
            models.Index(
                fields=["recover_at"],
                name="alerts_recover_deadline",
                condition=Q(state="pending", recover_at__isnull=False),
            ),
            models.Index(fields=["asset", "state"], name="alerts_problem_asset"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def suppressed(self) -> bool:
        return self.suppressed_by_id is not None


class ProblemEvent(models.Model):
    """One entry of a problem's timeline: a change of state, an acknowledgement, a comment."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    state = models.CharField(max_length=15)  # the problem's state after this event
    severity = models.CharField(max_length=10)
    status = models.CharField(max_length=10, blank=True)  # the observation's, when one caused it
    text = models.TextField(blank=True)  # summary of the observation, or the person's comment
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["problem", "at"], name="alerts_event_problem_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class MaintenanceWindow(TenantOwned):
    """A time when problems of the scope are marked in maintenance and nobody is notified.

    One-off (starts_at..ends_at) or recurring (a cron expression in `time_zone`, each occurrence
    lasting `duration_minutes`, only between starts_at and ends_at when those are set). The scope
    narrows the client: every field that is set must match (site, asset, tag, fingerprint prefix).
    """

    name = models.CharField(_("name"), max_length=200)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    cron = models.CharField(_("recurrence (cron)"), max_length=100, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Seoul")
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.CASCADE
    )
    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), null=True, blank=True, on_delete=models.CASCADE
    )
    tag = models.CharField(_("tag or label"), max_length=100, blank=True)
    fingerprint_prefix = models.CharField(_("fingerprint prefix"), max_length=600, blank=True)
    counts_against_availability = models.BooleanField(
        _("counts against availability"), default=False
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["client", "starts_at", "name", "pk"]
        indexes = [models.Index(fields=["client", "ends_at"], name="alerts_mw_client_end")]

    def __str__(self) -> str:
        return self.name

    @property
    def recurring(self) -> bool:
        return bool(self.cron)


class AlertsDependency(TenantOwned):
    """The child asset depends on the parent (a site's router, the host of a VM): while the
    parent is down, the child's new problems are suppressed by the parent's problem."""

    child = models.OneToOneField(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="alerts_parent"
    )
    parent = models.ForeignKey(
        Asset, verbose_name=_("depends on"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["client", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(child=models.F("parent")), name="alerts_dependency_not_self"
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_id} -> {self.parent_id}"


TOKEN_PREFIX = "omam"  # noqa: S105 - the public prefix, not a secret


def hash_secret(full: str) -> str:
    return hashlib.sha256(full.encode("utf-8")).hexdigest()


class AlertmanagerToken(TenantOwned):
    """A client's credential for the Alertmanager webhook receiver; only its hash is kept."""

    name = models.CharField(_("name"), max_length=200)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["client", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """(full token, prefix, hash)."""
        prefix = secrets.token_hex(4)
        full = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        return full, prefix, hash_secret(full)
