"""Agents, how they enroll, the batches they sent, and the commands they run.

- EnrollmentToken: a client's (optionally a site's) invitation for agents, shown once, stored as a
  SHA-256 hash, limited in time and uses.
- Agent: one enrolled host. Its secret is the HMAC key of every request, so the server must be able
  to use it: it is stored encrypted (Fernet, key derived from SECRET_KEY; see crypto.py).
- AgentBatch: the ids of batches already stored, for idempotency (expired after 72 h).
- Command / CommandRun: a technician's script for a selection of assets, one run per asset; each run
  is signed with the server's Ed25519 key when it is created.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openmsp.assets.models import Asset
from openmsp.tenants.models import Site, TenantOwned

TOKEN_PREFIX = "ome_"  # noqa: S105 (a prefix, not a secret)


class EnrollmentToken(TenantOwned):
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=16, help_text=_("The first characters, to recognise it."))
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name or f"{TOKEN_PREFIX}{self.prefix}…"

    def problem(self) -> str | None:
        """Why the token cannot enroll an agent now, or None."""
        if self.revoked_at is not None:
            return "This enrollment token has been revoked."
        if self.expires_at <= timezone.now():
            return "This enrollment token has expired."
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "This enrollment token has been used up."
        return None


class Agent(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="agent")
    machine_id = models.CharField(max_length=200)
    secret_encrypted = models.TextField()
    agent_version = models.CharField(max_length=50, blank=True)
    enrolled_at = models.DateTimeField()
    enrolled_with = models.ForeignKey(
        EnrollmentToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_batch_seq = models.BigIntegerField(null=True, blank=True)
    health = models.JSONField(default=dict, blank=True)
    # When the last auth failure was written to the audit log: at most one a minute per agent.
    last_auth_failure_audited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "machine_id"], name="agent_machine_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"agent {self.pk}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AgentBatch(models.Model):
    """A batch the server stored; a second arrival of the same id answers `duplicate`."""

    batch_id = models.UUIDField(primary_key=True)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    received_at = models.DateTimeField(db_index=True)
    sample_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.batch_id)


class Command(TenantOwned):
    """What a technician asked to run, on one or more assets of one client."""

    class Kind(models.TextChoices):
        SHELL = "shell", _("Shell script")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SHELL)
    script = models.TextField(_("script"))
    interpreter = models.CharField(_("interpreter"), max_length=200)
    timeout_seconds = models.PositiveIntegerField(_("timeout (seconds)"))
    run_as = models.CharField(_("run as"), max_length=64)
    not_after = models.DateTimeField(_("deliver until"))
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "-created_at"], name="command_client_created")]

    def __str__(self) -> str:
        first = self.script.strip().splitlines()[0] if self.script.strip() else ""
        return first[:80]


class CommandRun(models.Model):
    """One command on one asset: queued -> delivered -> a result, or expired/cancelled."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        TIMED_OUT = "timed_out", _("Timed out")
        REFUSED = "refused", _("Refused by the agent")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    FINAL = frozenset({"succeeded", "failed", "timed_out", "refused", "cancelled"})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    command = models.ForeignKey(Command, on_delete=models.CASCADE, related_name="runs")
    client = models.ForeignKey("tenants.Client", on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="command_runs")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="command_runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    signature = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    refused_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The long-poll's question, once a second: which waiting agents have queued runs?
            models.Index(
                fields=["agent", "created_at"],
                name="run_queued_per_agent",
                condition=Q(status="queued"),
            ),
            # The expiry job's question: which open runs are past their command's deadline?
            models.Index(
                fields=["status", "created_at"],
                name="run_open",
                condition=Q(status__in=["queued", "delivered"]),
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"
