"""Assets: the devices the MSP manages for a client, with or without an agent.

An agent asset is created by enrollment (openmsp.agent_api) and kept current by the agent's batches;
a manual asset (switch, printer, firewall) is entered by a technician. Both carry the same lifecycle
facts (warranty, end of life, criticality) and tags.

Reachability is a deadline, not a sweep: every check-in sets `offline_after = now + offline
period`; the offline detector finds `status = online AND offline_after <= now` through one partial
index and flips exactly those rows (see openmsp.assets.actions.detect_offline).
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.tenants.models import Site, TenantOwned

DEFAULT_OFFLINE_SECONDS = 300  # five missed one-minute check-ins
MIN_OFFLINE_SECONDS = 60
MAX_OFFLINE_SECONDS = 7 * 86400


class Asset(TenantOwned):
    class Kind(models.TextChoices):
        AGENT = "agent", _("Agent")
        MANUAL = "manual", _("Manual")

    class Role(models.TextChoices):
        SERVER = "server", _("Server")
        WORKSTATION = "workstation", _("Workstation")
        NETWORK = "network", _("Network device")
        OTHER = "other", _("Other")

    class Criticality(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")
        UNKNOWN = "unknown", _("Unknown")

    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("name"), max_length=200)
    hostname = models.CharField(_("host name"), max_length=253, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SERVER)
    criticality = models.CharField(
        _("criticality"), max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    os_name = models.CharField(_("operating system"), max_length=100, blank=True)
    os_version = models.CharField(_("OS version"), max_length=100, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    end_of_life = models.DateField(_("end of life"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNKNOWN
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    offline_after = models.DateTimeField(null=True, blank=True)
    offline_period_seconds = models.PositiveIntegerField(
        _("offline after (seconds without check-in)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_OFFLINE_SECONDS), MaxValueValidator(MAX_OFFLINE_SECONDS)],
        help_text=_("Empty: 300 seconds."),
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["client", "name", "pk"]
        indexes = [
            # The offline detector's only query: due deadlines of online assets.
            models.Index(
                fields=["offline_after"], name="asset_online_deadline", condition=Q(status="online")
            ),
            models.Index(fields=["client", "status"], name="asset_client_status"),
            models.Index(fields=["client", "name"], name="asset_client_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def offline_period(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.offline_period_seconds or DEFAULT_OFFLINE_SECONDS)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class AssetTag(models.Model):
    """One tag on one asset.

    A table rather than a JSON list: "assets tagged X" is an indexed join that works the same on
    SQLite and PostgreSQL (SQLite has no JSON `contains`), and "which tags does this client use"
    (the UI's tag picker) is one query.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["asset", "name"], name="asset_tag_once")]
        indexes = [models.Index(fields=["name"], name="asset_tag_name")]

    def __str__(self) -> str:
        return self.name


class InventorySnapshot(models.Model):
    """The current inventory of an asset (one row per asset); history lives in InventoryChange."""

    asset = models.OneToOneField(
        Asset, on_delete=models.CASCADE, primary_key=True, related_name="inventory"
    )
    taken_at = models.DateTimeField()
    hash = models.CharField(max_length=128)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"inventory of {self.asset_id}"


class InventoryChange(models.Model):
    """One item of one inventory section that appeared, disappeared or changed."""

    class Change(models.TextChoices):
        ADDED = "added", _("Added")
        REMOVED = "removed", _("Removed")
        CHANGED = "changed", _("Changed")

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="inventory_changes")
    at = models.DateTimeField()
    section = models.CharField(max_length=50)
    change = models.CharField(max_length=10, choices=Change.choices)
    key = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["asset", "at"], name="inventory_change_asset_at")]

    def __str__(self) -> str:
        return f"{self.section} {self.change} {self.key}"


class AssetStatusChange(models.Model):
    """online -> offline and back, with the time: the raw material of availability reports."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="status_changes")
    at = models.DateTimeField()
    previous = models.CharField(max_length=10, choices=Asset.Status.choices)
    status = models.CharField(max_length=10, choices=Asset.Status.choices)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["asset", "at"], name="asset_status_change_asset_at")]

    def __str__(self) -> str:
        return f"{self.previous} -> {self.status}"
