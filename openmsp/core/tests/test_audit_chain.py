"""The audit log is a hash chain: any row altered or removed in the database is detected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.models import AuditCheckpoint, AuditHead, AuditRecord
from openmsp.tenants import actions

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _fill(n: int) -> None:
    client = actions.create_client(actor=SYSTEM, name="Chain Co", code="chain")
    for i in range(n):
        actions.create_site(actor=SYSTEM, client=client, name=f"site {i}")


def _bypass_triggers_and_run(sql: str, params: list[str | int]) -> None:
    """What an attacker with database access would do: get past the append-only guard."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditrecord ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditrecord_no_update")
            cursor.execute("DROP TRIGGER core_auditrecord_no_delete")
            cursor.execute(sql, params)
            from openmsp.core import triggers

            cursor.execute(triggers.SQLITE_NO_UPDATE)
            cursor.execute(triggers.SQLITE_NO_DELETE)


def test_an_untouched_chain_verifies() -> None:
    _fill(5)
    result = audit.verify()
    assert result.ok
    assert result.checked == AuditRecord.objects.count() == 7  # client + its calendar + 5 sites


def test_it_detects_a_row_changed_in_the_database() -> None:
    _fill(5)
    _bypass_triggers_and_run(
        "UPDATE core_auditrecord SET object_repr = %s WHERE seq = %s", ["innocent", 4]
    )
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 4
    assert "altered" in result.reason


def test_it_detects_a_row_deleted_from_the_middle() -> None:
    _fill(5)
    _bypass_triggers_and_run("DELETE FROM core_auditrecord WHERE seq = %s", [3])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 3
    assert "missing" in result.reason


def test_it_detects_the_newest_row_rewritten_with_a_fresh_hash_of_its_own() -> None:
    """Recomputing the altered row's own hash is not enough: its successor no longer links."""
    _fill(5)
    rec = AuditRecord.objects.get(seq=3)
    rec.after = {"name": "forged"}
    forged = audit.compute_hash(rec.prev_hash, rec)
    _bypass_triggers_and_run(
        "UPDATE core_auditrecord SET after = %s, hash = %s WHERE seq = 3",
        ['{"name": "forged"}', forged],
    )
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 4


def test_it_detects_the_newest_records_deleted_from_the_end() -> None:
    """Cutting off the tail breaks no link; the chain head still remembers how far it went."""
    _fill(5)
    newest = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert newest is not None
    _bypass_triggers_and_run("DELETE FROM core_auditrecord WHERE seq >= %s", [newest - 1])

    result = audit.verify()

    assert not result.ok
    assert result.broken_seq == newest - 1
    assert (
        result.reason == f"records #{newest - 1} to #{newest} are missing from the end of the chain"
    )


def test_it_detects_the_single_newest_record_deleted() -> None:
    _fill(1)
    newest = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True)[0]
    _bypass_triggers_and_run("DELETE FROM core_auditrecord WHERE seq = %s", [newest])

    with pytest.raises(CommandError, match=f"record #{newest} is missing from the end"):
        call_command("audit", "verify")


def test_it_detects_every_record_deleted() -> None:
    _fill(2)
    _bypass_triggers_and_run("DELETE FROM core_auditrecord WHERE seq >= %s", [1])

    result = audit.verify()

    assert not result.ok
    assert result.broken_seq == 1
    assert "missing from the end" in result.reason


def test_the_newest_record_replaced_with_a_self_consistent_forgery_is_detected() -> None:
    _fill(2)
    rec = AuditRecord.objects.order_by("-seq").first()
    assert rec is not None
    rec.after = {"name": "forged"}
    forged = audit.compute_hash(rec.prev_hash, rec)
    _bypass_triggers_and_run(
        "UPDATE core_auditrecord SET after = %s, hash = %s WHERE seq = %s",
        ['{"name": "forged"}', forged, rec.seq],
    )

    result = audit.verify()

    assert not result.ok
    assert result.broken_seq == rec.seq
    assert "does not match the chain head" in result.reason


def test_records_written_after_the_walk_began_are_left_for_the_next_verification() -> None:
    _fill(1)
    head = AuditHead.objects.get()
    actions.create_client(actor=SYSTEM, name="Later Co", code="later")
    # As if the walk had read the head before these were appended: it stops at that head.
    later = AuditHead.objects.get()
    AuditHead.objects.filter(pk=1).update(last_seq=head.last_seq, last_hash=head.last_hash)

    result = audit.verify()

    assert result.ok
    assert result.checked == head.last_seq
    AuditHead.objects.filter(pk=1).update(last_seq=later.last_seq, last_hash=later.last_hash)
    assert audit.verify().checked == later.last_seq


def test_the_database_refuses_updates_and_deletes() -> None:
    _fill(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(seq=1).update(action="nothing.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(seq=1).delete()
    assert AuditRecord.objects.get(seq=1).action == "client.created"


def test_the_verify_command_reports_the_first_broken_link() -> None:
    _fill(3)
    call_command("audit", "verify")
    _bypass_triggers_and_run("UPDATE core_auditrecord SET ip = %s WHERE seq = %s", ["10.6.6.6", 2])
    with pytest.raises(CommandError, match="#2"):
        call_command("audit", "verify")


def test_purging_keeps_the_rest_of_the_chain_verifiable(time_machine) -> None:
    time_machine.move_to(dt.datetime(2023, 1, 10, tzinfo=dt.UTC))
    _fill(3)
    time_machine.move_to(dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    client = actions.create_client(actor=SYSTEM, name="Recent Co", code="recent")
    actions.create_site(actor=SYSTEM, client=client, name="new site")
    removed = audit.purge_older_than(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert removed == 5
    assert AuditCheckpoint.objects.get().last_purged_seq == 5
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True)) == [6, 7, 8]
    assert audit.verify().ok
    actions.create_site(actor=SYSTEM, client=client, name="after purge")
    assert audit.verify().ok


def test_numbering_continues_after_a_purge_that_removed_every_record(time_machine) -> None:
    time_machine.move_to(dt.datetime(2023, 1, 10, tzinfo=dt.UTC))
    _fill(2)
    time_machine.move_to(dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    removed = audit.purge_older_than(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert AuditRecord.objects.count() == 0
    assert audit.verify().ok

    rec = audit.record(actor=SYSTEM, action="nothing.happened")

    assert rec.seq == removed + 1
    assert audit.verify().ok


def test_permission_changes_outlive_ordinary_records(time_machine, settings) -> None:
    from conftest import make_user
    from openmsp.accounts.roles import Role

    time_machine.move_to(dt.datetime(2023, 6, 1, tzinfo=dt.UTC))
    _fill(1)  # seq 1-3: ordinary changes
    make_user("perm@msp.example", Role.MSP_ADMIN)  # seq 4: a permission change
    time_machine.move_to(dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    removed = audit.purge_older_than(dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    # 2.5 years later the permission change is still inside its 3-year retention: only the
    # records before it may go.
    assert removed == 3
    assert AuditRecord.objects.filter(action="user.invited").exists()
    assert audit.verify().ok


def test_purge_command_refuses_a_retention_below_the_legal_minimum() -> None:
    with pytest.raises(CommandError, match="below the configured retention"):
        call_command("audit", "purge", "--days", "30")
