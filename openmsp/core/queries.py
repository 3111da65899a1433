"""Tenant-scoped reads of the platform tables (the audit log)."""

from __future__ import annotations

from django.db.models import QuerySet

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants.queries import scope


def audit_visible_to(actor: Actor) -> QuerySet[AuditRecord]:
    """The audit records of the clients the actor sees; platform-wide records (no client) only for
    actors who see every client. Callers check AUDIT_VIEW first."""
    return scope(actor, AuditRecord.objects.select_related("client"))
