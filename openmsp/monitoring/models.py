"""Synthetic checks (run by the `poller` process) and their result history.

Scheduling is a deadline, not a sweep: `next_check_at` is the instant the check is due, found by one
partial index over enabled checks. A poller claims due checks by moving `next_check_at` to the next
slot and taking a short lease (`claimed_until`, `claim_token`) in one conditional UPDATE, so several
pollers share the work and none runs a check another is still running (see monitoring.claims).
Slots keep a stable per-check phase inside the interval (monitoring.schedule), so a thousand checks
of one interval are spread over it rather than fired together.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.core.encryption import SecretKeysJSONField
from openmsp.tenants.models import Site, TenantOwned

MIN_INTERVAL = 10
MAX_INTERVAL = 86400
MAX_TIMEOUT = 120
MAX_RETRIES = 5


class CheckStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    OK = "ok", _("OK")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")
    UNKNOWN = "unknown", _("Unknown")


class Check(TenantOwned):
    class Kind(models.TextChoices):
        ICMP = "icmp", _("Ping (ICMP)")
        TCP = "tcp", _("TCP port")
        HTTP = "http", _("HTTP(S)")
        TLS = "tls", _("TLS certificate")
        DNS = "dns", _("DNS record")
        SNMP = "snmp", _("SNMP")
        # Evaluated on the host by its agent (runs_on == "agent"), results arrive in batches.
        AGENT_METRIC = "agent_metric", _("Agent: metric threshold")
        AGENT_SERVICE = "agent_service", _("Agent: systemd service running")
        AGENT_PROCESS = "agent_process", _("Agent: process present")
        AGENT_PORT = "agent_port", _("Agent: TCP port listening")
        AGENT_LOG = "agent_log", _("Agent: log file pattern")
        AGENT_SCRIPT = "agent_script", _("Agent: script (Nagios plugin)")

    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL
    )
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("asset"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checks",
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    target = models.CharField(_("target"), max_length=2000)
    # SNMP communities and v3 keys, HTTP header values: stored encrypted (openmsp.core.encryption).
    settings = SecretKeysJSONField(
        _("settings"),
        default=dict,
        blank=True,
        secret_keys=("auth_key", "community", "priv_key"),
        secret_maps=("headers",),  # HTTP checks' header values (Authorization, API keys)
    )
    interval_seconds = models.PositiveIntegerField(
        _("interval (seconds)"),
        default=60,
        validators=[MinValueValidator(MIN_INTERVAL), MaxValueValidator(MAX_INTERVAL)],
    )
    timeout_seconds = models.FloatField(
        _("timeout (seconds)"),
        default=10,
        validators=[MinValueValidator(0.1), MaxValueValidator(MAX_TIMEOUT)],
    )
    retries = models.PositiveSmallIntegerField(
        _("retries"), default=0, validators=[MaxValueValidator(MAX_RETRIES)]
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Which addresses its probe may reach (openmsp.core.netguard): set from who saved it.
    network_scope = models.CharField(
        _("network scope"),
        max_length=10,
        default="public",
        choices=[("public", _("Public")), ("private", _("Private")), ("internal", _("Internal"))],
    )

    # The anti-noise knobs, handed to the Problem lifecycle with every observation.
    failures_to_fire = models.PositiveSmallIntegerField(_("failures before a problem"), default=1)
    hold_down_seconds = models.PositiveIntegerField(_("hold-down (seconds)"), default=0)
    successes_to_recover = models.PositiveSmallIntegerField(
        _("successes before recovery"), default=1
    )
    recovery_seconds = models.PositiveIntegerField(_("recovery hold (seconds)"), default=0)
    flap_threshold = models.PositiveSmallIntegerField(_("flap threshold"), default=0)
    flap_window_seconds = models.PositiveIntegerField(_("flap window (seconds)"), default=3600)

    next_check_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=40, blank=True)
    probe_state = models.JSONField(default=dict, blank=True)  # e.g. SNMP counters of the last run

    last_status = models.CharField(
        _("status"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING
    )
    last_result_at = models.DateTimeField(_("last result"), null=True, blank=True)
    last_latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    last_summary = models.CharField(_("summary"), max_length=300, blank=True)

    class Meta:
        ordering = ["client", "name", "pk"]
        indexes = [
            # The claim query's only access path: due deadlines of enabled checks.
            models.Index(
                fields=["next_check_at"], name="check_enabled_due", condition=Q(enabled=True)
            ),
            models.Index(fields=["client", "name"], name="check_client_name"),
            models.Index(fields=["client", "last_status"], name="check_client_status"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def runs_on(self) -> str:
        """ "agent" for checks the host's agent evaluates, "poller" for synthetic ones."""
        return "agent" if self.kind.startswith("agent_") else "poller"


class CheckResult(models.Model):
    """One run of one check (after its retries). Lean: the history behind charts and reports."""

    for_check = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="results")
    at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=CheckStatus.choices)
    latency_ms = models.FloatField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # How late the run started against its slot: the poller's schedule lag (for /metrics, bench).
    lag_ms = models.IntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["for_check", "at"], name="check_result_check_at")]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"
