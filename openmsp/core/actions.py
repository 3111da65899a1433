"""Helpers every domain's actions.py uses: permission checks, validated saves, audited changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, PermissionDenied, ValidationFailed
from openmsp.core.models import AuditRecord

M = TypeVar("M", bound=models.Model)


def require(actor: Actor, perm: str) -> None:
    """Refuse unless *actor* may use *perm*. Tenant visibility is checked by the caller's fetch."""
    if actor.is_system:
        return
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    assert actor.user is not None
    if not actor.user.has_perm_to(perm):
        raise PermissionDenied("Your role does not allow this.")


def full_clean(obj: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    """Model validation turned into a 422 naming the first offending field."""
    try:
        obj.full_clean(exclude=list(exclude) if exclude else None)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from None


_DUPLICATE_CODES = frozenset({"unique", "unique_together", "unique_constraint"})


def _as_validation_failed(exc: ValidationError) -> ValidationFailed | Conflict:
    """The first problem, as a 422 naming its field, or a 409 when it is a duplicate."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        message = " ".join(str(m) for e in errors for m in e.messages)
        name = None if field == "__all__" else field
        if any(e.code in _DUPLICATE_CODES for e in errors):
            return Conflict(message, field=name)
        return ValidationFailed(message, field=name)
    return ValidationFailed(" ".join(exc.messages))


def apply_changes(obj: M, changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for name, value in changes.items():
        if name not in allowed:
            raise ValidationFailed(f"'{name}' cannot be changed here.", field=name)
        setattr(obj, name, value)


def save_created(actor: Actor, obj: M, *, action: str, category: str = audit.CATEGORY_CHANGE) -> M:
    full_clean(obj)
    obj.save()
    audit.record(actor=actor, action=action, obj=obj, after=audit.snapshot(obj), category=category)
    return obj


def save_changed(
    actor: Actor,
    obj: M,
    before: dict[str, Any],
    *,
    action: str,
    category: str = audit.CATEGORY_CHANGE,
) -> M:
    """Validate, save and audit; an edit that changes nothing writes nothing."""
    full_clean(obj)
    after = audit.snapshot(obj)
    if after == before:
        return obj
    obj.save()
    changed = {k for k in after if after.get(k) != before.get(k)}
    audit.record(
        actor=actor,
        action=action,
        obj=obj,
        before={k: before.get(k) for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
        category=category,
    )
    return obj


def delete_audited(actor: Actor, obj: models.Model, *, action: str) -> None:
    before = audit.snapshot(obj)
    audit.record(actor=actor, action=action, obj=obj, before=before)
    obj.delete()


def record_audit_export(
    *, actor: Actor, fmt: str, count: int, filters: dict[str, Any], client_id: int | None = None
) -> AuditRecord:
    """An export of audit records is itself an access to personal data (PIPA): who took which
    records, in what format, and how many. Returns the record, whose seq bounds the export."""
    return audit.record(
        actor=actor,
        action="audit.exported",
        category=audit.CATEGORY_EXPORT,
        client_id=client_id,
        object_type="core.auditrecord",
        object_repr=f"{count} audit records as {fmt}",
        after={"format": fmt, "count": count, "filters": filters},
    )
