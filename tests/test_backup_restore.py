"""`openmsp backup` of a running installation and `openmsp restore` into an empty one, as real
processes on the suite's engine (SQLite file or a fresh PostgreSQL database each).

The source is seeded with clients, a user, a ticket with a binary attachment and their audit
records; a writer process keeps appending clients (each one audited) while the backup runs, so the
snapshot must be one point in time for the restored audit chain to verify and end at the head the
manifest recorded.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import ROOT, Database, openmsp, wait_for

pytestmark = pytest.mark.slow

SEED = """
import hashlib, json
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from openmsp.accounts import actions as accounts
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.servicedesk import actions as desk
from openmsp.tenants import actions as tenants

system = Actor.system("seed")
a = tenants.create_client(actor=system, name="Hanbit Logistics", code="hanbit")
tenants.create_client(actor=system, name="Saebom Pharma", code="saebom")
tech = accounts.invite_user(
    actor=system, email="tech@msp.example", role=Role.TECHNICIAN, password="correct-horse-42-x"
)
ticket = desk.open_ticket(
    actor=Actor(user=tech), client=a, subject="Nightly EDI batch failed", body="Exit code 3."
)
payload = bytes(range(256)) * 64 + b"\\x00trailer"
att = desk.add_attachment(
    actor=Actor(user=tech), ticket=ticket,
    file=SimpleUploadedFile("edi-log.pdf", payload, content_type="application/pdf"),
)
print(json.dumps({"ticket": ticket.number, "file": att.file.name,
                  "sha256": hashlib.sha256(payload).hexdigest()}))
"""

# Appends audited clients until it is killed: the platform at work during the backup.
WRITER = """
import itertools
import django
django.setup()
from openmsp.core.actor import Actor
from openmsp.tenants import actions as tenants

for i in itertools.count():
    tenants.create_client(actor=Actor.system("load"), name=f"Load {i}", code=f"load-{i}")
"""


def _python(db: Database, code: str, stdout: int = subprocess.PIPE) -> subprocess.Popen[str]:
    env = db.env() | {"DJANGO_SETTINGS_MODULE": "openmsp.settings"}
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=ROOT, stdout=stdout, text=True
    )


def _run(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openmsp.cli", *args],
        env=db.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def _count(db: Database, table: str) -> int:
    return int(db.query(f"SELECT count(*) FROM {table}")[0][0])


@dataclass
class Source:
    db: Database
    archive: Path
    seeded: dict[str, Any]
    backup_output: str


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    base = tmp_path_factory.mktemp("backup")
    with Database(base / "source") as db:
        openmsp(db, "migrate", "-v0")
        seed = _python(db, SEED)
        out, _ = seed.communicate(timeout=120)
        assert seed.returncode == 0
        seeded = json.loads(out)
        seeded_audit = _count(db, "core_auditrecord")
        writer = _python(db, WRITER, stdout=subprocess.DEVNULL)
        try:
            wait_for(
                lambda: _count(db, "core_auditrecord") >= seeded_audit + 20,
                60,
                "the writer to append audit records",
            )
            archive = base / "openmsp-backup.tar.gz"
            backup_output = openmsp(db, "backup", "--output", str(archive))
            # The writer was still appending after the snapshot: the source has moved on (by more
            # than the backup's own record).
            wait_for(
                lambda: (
                    _count(db, "core_auditrecord")
                    > _manifest(archive)["audit_head"]["last_seq"] + 1
                ),
                60,
                "the writer to append past the snapshot",
            )
        finally:
            writer.kill()
            writer.wait()
        yield Source(db, archive, seeded, backup_output)


def _manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())  # type: ignore[no-any-return]


def test_the_archive_holds_database_files_and_a_manifest_of_them(source: Source) -> None:
    manifest = _manifest(source.archive)
    assert manifest["format_version"] == 1
    assert manifest["engine"] == source.db.engine
    assert "0001_initial" in manifest["migrations"]["servicedesk"]
    paths = {f["path"] for f in manifest["files"]}
    assert f"files/attachments/{source.seeded['file']}" in paths
    assert "files/secret_key" in paths
    assert not any(p.startswith("files/static/") or "sqlite3" in p for p in paths)
    attachment = next(f for f in manifest["files"] if f["path"].endswith(source.seeded["file"]))
    assert attachment["sha256"] == source.seeded["sha256"]
    assert source.archive.stat().st_mode & 0o077 == 0, "the archive holds secrets: mode 0600"
    assert "Backup written:" in source.backup_output
    # The backup is an export of everything: audited, after (so outside) its own snapshot.
    recorded = source.db.query(
        "SELECT seq, category FROM core_auditrecord WHERE action = 'backup.created'"
    )
    assert len(recorded) == 1
    assert recorded[0][0] > manifest["audit_head"]["last_seq"]
    assert recorded[0][1] == "export"


def test_restore_into_an_empty_installation_finds_everything(
    source: Source, tmp_path: Path
) -> None:
    manifest = _manifest(source.archive)
    head = manifest["audit_head"]["last_seq"]
    with Database(tmp_path / "target") as target:
        out = openmsp(target, "restore", "--input", str(source.archive))
        assert f"Audit chain intact: {head} records verified." in out
        # The restore appends its own record to the chain it restored.
        assert openmsp(target, "audit", "verify").strip() == (
            f"Audit chain intact: {head + 1} records verified."
        )
        assert _count(target, "core_auditrecord") == head + 1
        assert target.query("SELECT action FROM core_auditrecord ORDER BY seq DESC")[0] == (
            "backup.restored",
        )

        names = {row[0] for row in target.query("SELECT name FROM tenants_client")}
        assert {"Hanbit Logistics", "Saebom Pharma"} <= names
        # Every client the snapshot holds, no more: each load client wrote one audit record.
        restored_load = {n for n in names if n.startswith("Load ")}
        assert len(restored_load) == _count(target, "tenants_client") - 2
        assert restored_load == {f"Load {i}" for i in range(len(restored_load))}

        tickets = target.query("SELECT number, subject FROM servicedesk_ticket")
        assert tickets == [(source.seeded["ticket"], "Nightly EDI batch failed")]
        stored = target.query("SELECT file FROM servicedesk_attachment")
        assert stored == [(source.seeded["file"],)]
        restored = (tmp_path / "target" / "attachments" / source.seeded["file"]).read_bytes()
        assert hashlib.sha256(restored).hexdigest() == source.seeded["sha256"]
        assert (tmp_path / "target" / "secret_key").read_bytes() == (
            source.db.data_dir / "secret_key"
        ).read_bytes()
        assert target.query("SELECT email FROM accounts_user") == [("tech@msp.example",)]


def test_restore_refuses_a_target_that_holds_data(source: Source) -> None:
    before = _count(source.db, "core_auditrecord")
    done = _run(source.db, "restore", "--input", str(source.archive))
    assert done.returncode == 1
    assert "The target database is not empty" in done.stderr
    assert "--force" in done.stderr
    assert _count(source.db, "core_auditrecord") == before


def _tampered(archive: Path, dest: Path, victim: str) -> Path:
    """The same archive with one member's bytes changed and its manifest left as it was."""
    with tarfile.open(archive) as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == victim:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            out.addfile(member, io.BytesIO(data))
    return dest


def test_restore_refuses_an_altered_archive_before_touching_anything(
    source: Source, tmp_path: Path
) -> None:
    victim = f"files/attachments/{source.seeded['file']}"
    bad = _tampered(source.archive, tmp_path / "bad.tar.gz", victim)
    with Database(tmp_path / "target") as target:
        verify = _run(target, "restore", "--input", str(bad), "--verify-only")
        assert verify.returncode == 1
        assert f"{victim} does not match its sha256" in verify.stderr

        done = _run(target, "restore", "--input", str(bad))
        assert done.returncode == 1
        assert "fails its checksums, nothing was restored" in done.stderr
        assert f"{victim} does not match its sha256" in done.stderr
        assert not (tmp_path / "target" / "attachments").exists()
        tables = (
            target.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if target.engine == "postgresql"
            else target.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        assert tables == []
        assert list((tmp_path / "target").glob(".openmsp-*")) == [], "scratch dir left behind"


def test_restore_refuses_a_truncated_archive(source: Source, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    with Database(tmp_path / "target") as target:
        done = _run(target, "restore", "--input", str(cut), "--verify-only")
        assert done.returncode == 1
        assert "is not a readable backup archive" in done.stderr


def test_restore_refuses_an_archive_of_the_other_engine(source: Source, tmp_path: Path) -> None:
    other = "postgresql" if source.db.engine == "sqlite" else "sqlite"
    manifest = _manifest(source.archive) | {"engine": other}
    body = json.dumps(manifest).encode()
    dest = tmp_path / "other.tar.gz"
    with tarfile.open(source.archive) as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                data, member.size = body, len(body)
            out.addfile(member, io.BytesIO(data))
    with Database(tmp_path / "target") as target:
        done = _run(target, "restore", "--input", str(dest))
        assert done.returncode == 1
        assert f"The archive holds a {other} database but this installation runs on" in (
            done.stderr
        )


def test_verify_only_reports_an_intact_archive(source: Source, tmp_path: Path) -> None:
    with Database(tmp_path / "target") as target:
        out = openmsp(target, "restore", "--input", str(source.archive), "--verify-only")
    assert out.startswith(f"Archive intact: {source.db.engine} database and")
    with gzip.open(source.archive) as plain:  # a plain tar.gz an operator can list with tar
        assert plain.read(1)
