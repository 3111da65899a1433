"""Platform-wide tables: the audit chain and the periodic-job schedule."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditRecord(models.Model):
    """One append-only, hash-chained entry of the audit log.

    `hash` covers every column below plus the predecessor's hash, so altering or removing any row
    breaks the chain at that row (`openmsp audit verify`). Database triggers (migration 0002)
    refuse UPDATE and DELETE outside the retention purge.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=300)
    client = models.ForeignKey(
        "tenants.Client",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(max_length=80, db_index=True)
    category = models.CharField(max_length=20, db_index=True, default="change")
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["client", "-seq"]), models.Index(fields=["actor", "-seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """Where the chain continues after a retention purge removed its oldest records."""

    last_purged_seq = models.BigIntegerField(unique=True)
    last_purged_hash = models.CharField(max_length=64)
    purged_count = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_purged_seq"]

    def __str__(self) -> str:
        return f"checkpoint after #{self.last_purged_seq}"


class AuditHead(models.Model):
    """The newest record's number and hash (one row), moved forward in the same transaction as
    every append. Records removed from the *end* of the chain break no link, but the head still
    points past them, so `verify()` reports them missing; the next number also comes from here,
    so numbering continues after a purge that removed every record."""

    last_seq = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class PeriodicJob(models.Model):
    """Schedule state for one periodic job; a due run is claimed by a conditional UPDATE."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_claimed_by = models.CharField(max_length=200, blank=True)
    run_count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class WorkerLease(models.Model):
    """A running `openmsp worker`, renewed every few seconds (openmsp.core.workers). A task left
    RUNNING by a worker whose lease ran out is handed back to the queue."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    process = models.CharField(max_length=200)  # host:pid, for people reading the table
    started_at = models.DateTimeField()
    renewed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.process})"


class RateLimitHit(models.Model):
    """One counted attempt in a sliding-window limit (openmsp.core.ratelimit). In the database so
    that every web process sees the same counts; rows older than the window are deleted as the
    key is used again, and the daily retention job drops the rest."""

    key = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="ratelimit_key_at")]

    def __str__(self) -> str:
        return f"{self.key} at {self.at:%Y-%m-%d %H:%M:%S}"
