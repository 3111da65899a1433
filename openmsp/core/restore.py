"""`openmsp restore`: an archive from `openmsp backup` into an EMPTY installation.

Order: refuse a target that holds data (unless forced) → read the whole archive once, checking every
member against the manifest's sha256 (into a scratch directory inside OPENMSP_DATA_DIR, so nothing
of the installation is touched yet) → refuse an archive of the other engine or of newer code →
database → files → `migrate` (the archive may come from older code) → verify the audit chain, that
its head is the one the backup recorded, and that every attachment's file is there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from openmsp.core import audit, backup
from openmsp.core.actor import Actor
from openmsp.core.backup import CHUNK, DB_MEMBER, FILES_PREFIX, MANIFEST, BackupError
from openmsp.core.env import env_secret

# Rows an operator's first steps create (createadmin writes a user and an audit record): a
# database with any of them is somebody's installation, not an empty target.
DATA_TABLES = {
    "accounts_user": "users",
    "tenants_client": "clients",
    "servicedesk_ticket": "tickets",
    "core_auditrecord": "audit records",
}


class RestoreError(BackupError):
    pass


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    audit: audit.VerifyResult | None = None
    head_matches: bool = True
    missing_attachments: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(
            self.audit and self.audit.ok and self.head_matches and not self.missing_attachments
        )


# --- reading and verifying the archive -----------------------------------------------------
def _member_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    if not member.isfile() or path.is_absolute() or ".." in path.parts or not path.parts:
        raise RestoreError(f"The archive holds an unexpected entry {member.name!r}; refusing it.")
    return path.as_posix()


def read_archive(path: Path, extract_to: Path | None = None) -> dict[str, Any]:
    """The manifest, after every member was checked against it (and written under *extract_to*)."""
    if not path.is_file():
        raise RestoreError(f"--input {path} is not a file.")
    digests: dict[str, tuple[int, str]] = {}
    manifest_bytes = b""
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                name = _member_name(member)
                source = tar.extractfile(member)
                assert source is not None  # a regular file, checked above
                keep = io.BytesIO() if name == MANIFEST else None
                digests[name] = _copy(source, name, extract_to, keep, member.mode)
                if keep is not None:
                    manifest_bytes = keep.getvalue()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise RestoreError(f"{path} is not a readable backup archive: {exc}.") from None
    manifest = _parse_manifest(manifest_bytes, path)
    _compare(manifest, digests)
    return manifest


def _copy(
    source: Any, name: str, extract_to: Path | None, keep: io.BytesIO | None, mode: int
) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    target = None
    if extract_to is not None:
        dest = extract_to / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = dest.open("wb")
        os.chmod(dest, (mode & 0o777) | 0o600)
    try:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
            if target is not None:
                target.write(chunk)
            if keep is not None:
                keep.write(chunk)
    finally:
        if target is not None:
            target.close()
    return size, sha.hexdigest()


def _parse_manifest(body: bytes, path: Path) -> dict[str, Any]:
    if not body:
        raise RestoreError(f"{path} has no {MANIFEST}: it was not written by `openmsp backup`.")
    try:
        manifest: dict[str, Any] = json.loads(body)
    except ValueError:
        raise RestoreError(f"The {MANIFEST} in {path} is not valid JSON.") from None
    version = manifest.get("format_version")
    if version != backup.FORMAT_VERSION:
        raise RestoreError(
            f"{path} is backup format {version!r}; this OpenMSP reads format "
            f"{backup.FORMAT_VERSION}. Restore it with the OpenMSP version that wrote it "
            f"({manifest.get('openmsp_version', 'unknown')})."
        )
    return manifest


def _compare(manifest: dict[str, Any], digests: dict[str, tuple[int, str]]) -> None:
    expected = {
        e["path"]: (e["size"], e["sha256"]) for e in [manifest["database"], *manifest["files"]]
    }
    actual = {k: v for k, v in digests.items() if k != MANIFEST}
    problems = [f"{p} is missing" for p in sorted(expected.keys() - actual.keys())]
    problems += [f"{p} is not in the manifest" for p in sorted(actual.keys() - expected.keys())]
    problems += [
        f"{p} does not match its sha256 (archive damaged or altered)"
        for p in sorted(expected.keys() & actual.keys())
        if expected[p] != actual[p]
    ]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise RestoreError(
            "The archive fails its checksums, nothing was restored: "
            + "; ".join(problems[:3])
            + more
            + "."
        )


# --- checks on the target -------------------------------------------------------------------
def _count_sql(table: str) -> str:
    return f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}"  # noqa: S608 - names are DATA_TABLES'


def existing_data() -> dict[str, int]:
    tables = set(connection.introspection.table_names())
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table, label in DATA_TABLES.items():
            if table in tables:
                cursor.execute(_count_sql(table))
                count = cursor.fetchone()[0]
                if count:
                    found[label] = count
    if tables and "django_migrations" not in tables:
        found["tables that are not OpenMSP's"] = len(tables)
    return found


def _check_empty(force: bool) -> None:
    found = existing_data()
    if found and not force:
        what = ", ".join(f"{n} {label}" for label, n in found.items())
        raise RestoreError(
            f"The target database is not empty ({what}). Restore goes into an empty installation: "
            "point OPENMSP_DATABASE_URL / OPENMSP_DATA_DIR at a new one, or pass --force to "
            "replace everything in this database."
        )


def _check_compatible(manifest: dict[str, Any], kind: str) -> None:
    if manifest["engine"] != kind:
        raise RestoreError(
            f"The archive holds a {manifest['engine']} database but this installation runs on "
            f"{kind}. Restore it into a {manifest['engine']} installation; moving between engines "
            "is not supported by `openmsp restore`."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if newer:
        raise RestoreError(
            f"The archive was made by a newer OpenMSP ({manifest['openmsp_version']}): this code "
            f"does not know the migration(s) {', '.join(newer[:5])}. Upgrade OpenMSP, then restore."
        )
    if kind == "postgresql":
        tool = backup.pg_tool_major("pg_restore")
        if tool < manifest.get("pg_dump_major", 0):
            raise RestoreError(
                f"The dump was written by pg_dump {manifest['pg_dump_major']}; pg_restore {tool} "
                "cannot read it. Install a newer postgresql-client and set OPENMSP_PG_BIN_DIR."
            )


# --- restoring ------------------------------------------------------------------------------
def restore(
    path: Path, *, actor: Actor, force: bool = False, say: Callable[[str], None] = print
) -> RestoreResult:
    kind = backup.engine()
    _check_empty(force)
    data_dir = Path(settings.DATA_DIR)
    # Inside the data dir: the files move into place with a rename, not a second copy.
    staging = Path(tempfile.mkdtemp(prefix=backup.STAGING_PREFIX + "restore-", dir=data_dir))
    try:
        manifest = read_archive(path.expanduser().resolve(), staging)
        say(
            f"Archive verified: {len(manifest['files'])} files and the database match the manifest."
        )
        _check_compatible(manifest, kind)
        result = RestoreResult(manifest)
        dump = staging / DB_MEMBER[kind]
        (_restore_sqlite if kind == "sqlite" else _restore_postgresql)(dump)
        say(f"Database restored ({kind}).")
        result.files = _restore_files(staging, data_dir, manifest)
        say(f"{result.files} files restored into {data_dir}.")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _use_restored_secret_key(data_dir, result)
    call_command("migrate", interactive=False, verbosity=0)
    say("Migrations applied.")
    _verify(result)
    # Appended after the verification, to the chain just restored: the restore is itself a change.
    audit.record(
        actor=actor,
        action="backup.restored",
        object_type="backup",
        object_repr=str(path),
        after={"created_at": manifest["created_at"], "verified": result.ok, "forced": force},
    )
    return result


def _restore_sqlite(snapshot: Path) -> None:
    connection.close()
    source = sqlite3.connect(snapshot)
    dest = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
    try:
        source.backup(dest, pages=-1)  # replaces the whole target database in one transaction
    finally:
        source.close()
        dest.close()


def _restore_postgresql(dump: Path) -> None:
    # The target is empty (or --force): clear the schema, so objects a `migrate` made in it do
    # not collide with the dump's; pg_restore then loads it all in one transaction.
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    _close_connections()
    backup.run_pg_tool(
        "pg_restore",
        ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(dump)],
        with_dbname=True,
    )


def _close_connections() -> None:
    """Pooled connections may hold prepared statements on the dropped tables: discard them."""
    connection.close()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()


def _restore_files(staging: Path, data_dir: Path, manifest: dict[str, Any]) -> int:
    for entry in manifest["files"]:
        rel = entry["path"].removeprefix(FILES_PREFIX)
        dest = data_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / entry["path"], dest)
    return len(manifest["files"])


def _use_restored_secret_key(data_dir: Path, result: RestoreResult) -> None:
    """Agent secrets are encrypted under SECRET_KEY: the restored installation needs the source's."""
    restored = data_dir / "secret_key"
    if env_secret("OPENMSP_SECRET_KEY"):
        result.notes.append(
            "OPENMSP_SECRET_KEY is set, so the environment's key is used, not the archive's "
            "secret_key file: it must be the source installation's key, or agents re-enroll."
        )
    elif any(e["path"] == FILES_PREFIX + "secret_key" for e in result.manifest["files"]):
        settings.SECRET_KEY = restored.read_text(encoding="ascii").strip()


def _verify(result: RestoreResult) -> None:
    from openmsp.core.models import AuditHead
    from openmsp.servicedesk.models import Attachment

    result.audit = audit.verify()
    head = AuditHead.objects.filter(pk=1).values("last_seq", "last_hash").first()
    result.head_matches = head == result.manifest.get("audit_head")
    for att in Attachment.objects.only("file").iterator():
        if not att.file.storage.exists(att.file.name):
            result.missing_attachments.append(att.file.name)
    with connection.cursor() as cursor:
        for table, label in DATA_TABLES.items():
            cursor.execute(_count_sql(table))
            result.counts[label] = cursor.fetchone()[0]
