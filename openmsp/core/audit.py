"""The tamper-evident audit log: append, verify, purge.

Each record's hash is SHA-256 over its predecessor's hash and a canonical JSON of its own columns.
Appends are serialised (an advisory lock on PostgreSQL, the write lock on SQLite) so the chain has
no forks; `verify()` walks it in order and reports the first row that does not fit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from openmsp.core.actor import Actor
from openmsp.core.context import current_ip, current_request_id
from openmsp.core.models import AuditCheckpoint, AuditHead, AuditRecord

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 0x0A0D17  # any constant: one advisory lock for the audit chain
SECRET_FIELDS = frozenset({"password", "token_hash", "key", "secret", "secret_hash"})

# Categories decide retention (PIPA: access records >= 2 years, permission changes >= 3 years).
CATEGORY_CHANGE = "change"
CATEGORY_ACCESS = "access"
CATEGORY_PERMISSION = "permission"
CATEGORY_EXPORT = "export"


def jsonable(value: Any) -> Any:
    """Turn a model field value into plain JSON that survives a database round trip unchanged."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Concrete field values of *obj* (foreign keys as ids), secrets left out."""
    skipped = SECRET_FIELDS | set(exclude)
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in skipped:
            continue
        data[field.attname] = jsonable(getattr(obj, field.attname))
    for m2m in obj._meta.many_to_many:
        if m2m.name not in skipped and obj.pk is not None:
            data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


def _payload(rec: AuditRecord) -> str:
    body = {
        "seq": rec.seq,
        "at": rec.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": rec.actor_id,
        "actor_label": rec.actor_label,
        "client_id": rec.client_id,
        "action": rec.action,
        "category": rec.category,
        "object_type": rec.object_type,
        "object_id": rec.object_id,
        "object_repr": rec.object_repr,
        "before": rec.before,
        "after": rec.after,
        "ip": rec.ip,
        "request_id": rec.request_id,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, rec: AuditRecord) -> str:
    return hashlib.sha256((prev_hash + _payload(rec)).encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


def record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    client_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    category: str = CATEGORY_CHANGE,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_repr: str | None = None,
) -> AuditRecord:
    """Append one record to the chain, inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else obj.pk
        object_repr = object_repr if object_repr is not None else str(obj)[:300]
        if client_id is None:
            client_id = _client_id_of(obj)
    with transaction.atomic():
        _lock_chain()
        last_seq, last_hash = _chain_end()
        rec = AuditRecord(
            seq=last_seq + 1,
            at=timezone.now(),
            actor_id=actor.user.pk if actor.user is not None else None,
            actor_label=actor.label[:300],
            client_id=client_id,
            action=action,
            category=category,
            object_type=object_type or "",
            object_id="" if object_id is None else str(object_id),
            object_repr=(object_repr or "")[:300],
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            ip=current_ip() or "",
            request_id=current_request_id() or "",
            prev_hash=last_hash,
        )
        rec.hash = compute_hash(rec.prev_hash, rec)
        rec.save(force_insert=True)
        _move_head(rec)
        return rec


def _chain_end() -> tuple[int, str]:
    """Number and hash of the newest record: the head, or (before the first append under the
    head) the newest row, the last purge checkpoint, or the genesis."""
    head = AuditHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    if head is not None:
        return head
    last = AuditRecord.objects.order_by("-seq").values_list("seq", "hash").first()
    if last is not None:
        return last
    checkpoint = AuditCheckpoint.objects.order_by("-last_purged_seq").first()
    if checkpoint is not None:
        return checkpoint.last_purged_seq, checkpoint.last_purged_hash
    return 0, GENESIS_HASH


def _move_head(rec: AuditRecord) -> None:
    now = timezone.now()
    moved = AuditHead.objects.filter(pk=1).update(
        last_seq=rec.seq, last_hash=rec.hash, updated_at=now
    )
    if not moved:
        AuditHead.objects.create(pk=1, last_seq=rec.seq, last_hash=rec.hash)


def _client_id_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "tenants.client":
        return obj.pk  # type: ignore[no-any-return]
    value = getattr(obj, "client_id", None)
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(chunk_size: int = 2000) -> VerifyResult:
    """Walk the chain from its start; return the first broken link, if any.

    The head is read first and the walk stops at it: records appended while the walk runs are
    left for the next verification instead of looking like a mismatch.
    """
    head = AuditHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    checkpoint = AuditCheckpoint.objects.order_by("-last_purged_seq").first()
    expected_seq = checkpoint.last_purged_seq + 1 if checkpoint else 1
    prev_hash = checkpoint.last_purged_hash if checkpoint else GENESIS_HASH
    checked = 0
    for rec in _in_order(chunk_size, until=head[0] if head else None):
        broken = _broken_link(rec, expected_seq, prev_hash)
        if broken:
            return VerifyResult(False, checked, broken[0], broken[1])
        prev_hash = rec.hash
        expected_seq += 1
        checked += 1
    if head is not None and (expected_seq - 1, prev_hash) != head:
        return _head_mismatch(checked, expected_seq, head)
    return VerifyResult(True, checked)


def _broken_link(rec: AuditRecord, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    if rec.seq != expected_seq:
        return expected_seq, f"record #{expected_seq} is missing (next is #{rec.seq})"
    if rec.prev_hash != prev_hash:
        return rec.seq, f"record #{rec.seq} does not link to its predecessor"
    if compute_hash(prev_hash, rec) != rec.hash:
        return rec.seq, f"record #{rec.seq} was altered after it was written"
    return None


def _head_mismatch(checked: int, expected_seq: int, head: tuple[int, str]) -> VerifyResult:
    last_seq = head[0]
    if expected_seq <= last_seq:
        gone = (
            f"record #{last_seq} is"
            if expected_seq == last_seq
            else f"records #{expected_seq} to #{last_seq} are"
        )
        return VerifyResult(
            False, checked, expected_seq, f"{gone} missing from the end of the chain"
        )
    return VerifyResult(
        False,
        checked,
        last_seq,
        f"record #{last_seq} does not match the chain head (it was altered or replaced)",
    )


def _in_order(chunk_size: int, until: int | None = None) -> Iterator[AuditRecord]:
    last_seq = 0
    rows = (
        AuditRecord.objects.all() if until is None else AuditRecord.objects.filter(seq__lte=until)
    )
    while True:
        batch = list(rows.filter(seq__gt=last_seq).order_by("seq")[:chunk_size])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def purge_older_than(cutoff: dt.datetime) -> int:
    """Remove the oldest records written before *cutoff*, keeping the chain verifiable.

    Only a prefix of the chain can go (so the rest still links to a checkpoint); the prefix stops at
    the first permission-change record still inside its longer retention.
    """
    from django.conf import settings

    permission_cutoff = timezone.now() - dt.timedelta(
        days=settings.OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS
    )
    with transaction.atomic():
        _lock_chain()
        candidates = [
            AuditRecord.objects.filter(at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first(),
            AuditRecord.objects.filter(category=CATEGORY_PERMISSION, at__gte=permission_cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first(),
        ]
        blocker = min((c for c in candidates if c is not None), default=None)
        prefix = AuditRecord.objects.all()
        if blocker is not None:
            prefix = prefix.filter(seq__lt=blocker)
        last = prefix.order_by("-seq").values("seq", "hash").first()
        if last is None:
            return 0
        count = prefix.count()
        with _purge_allowed():
            AuditRecord.objects.filter(seq__lte=last["seq"]).delete()
        AuditCheckpoint.objects.create(
            last_purged_seq=last["seq"], last_purged_hash=last["hash"], purged_count=count
        )
        return count


class _purge_allowed:
    """Lift the append-only triggers for the current transaction only."""

    def __enter__(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('openmsp.audit_purge', 'on', true)")
            elif connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER IF EXISTS core_auditrecord_no_delete")

    def __exit__(self, *exc: object) -> None:
        from openmsp.core.triggers import SQLITE_NO_DELETE

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('openmsp.audit_purge', 'off', true)")
            elif connection.vendor == "sqlite":
                cursor.execute(SQLITE_NO_DELETE)
