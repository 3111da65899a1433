"""`openmsp backup`: one archive holding a consistent snapshot of the database and the stored files.

Archive (tar.gz, mode 0600 — it holds SECRET_KEY and the command-signing key):

    database/openmsp.sqlite3   SQLite, copied with the online backup API (one read transaction)
    database/openmsp.pgdump    PostgreSQL, `pg_dump --format=custom` of an exported snapshot
    files/<path>               every file under OPENMSP_DATA_DIR but the database, static/, backups/
    manifest.json              last: format, versions, engine, migrations, sha256 of every member

Ordering: the database snapshot is taken FIRST, the files are copied after it. Stored files are
written before the row that names them commits (Django saves a FileField's file, then inserts) and
are never deleted, so every file a row in the snapshot references already exists when the files
are copied. Files newer than the snapshot land in the archive too; nothing references them, so
they are harmless orphans. (Files first and the database second would lose the files uploaded in
between while keeping their rows.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from openmsp.core import audit
from openmsp.core.actor import Actor

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database/openmsp.sqlite3", "postgresql": "database/openmsp.pgdump"}
FILES_PREFIX = "files/"
STAGING_PREFIX = ".openmsp-"  # backup and restore scratch directories; never backed up
# Under OPENMSP_DATA_DIR but not user data: the database itself (copied through its engine),
# the test runner's database, static files rebuilt from the code, and backups/ (a place for local
# archives that must not swallow each other).
EXCLUDED_TOP = {"static", "backups"}
EXCLUDED_FILE = re.compile(r"^(test-)?openmsp\.sqlite3(-wal|-shm|-journal)?$")
CHUNK = 1024 * 1024
# gzip's own default: level 9 took 4x as long on attachments (mostly compressed already: PDF,
# images, zip) for an archive 0.03 % smaller (docs/backup.md).
COMPRESS_LEVEL = 6


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]
    seconds: float


def engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_MEMBER:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def create(output: Path, *, actor: Actor) -> BackupResult:
    started = time.monotonic()
    output = output.expanduser().resolve()
    if output.is_dir():
        raise BackupError(f"--output {output} is a directory; name the archive file.")
    if not output.parent.is_dir():
        raise BackupError(f"--output: the directory {output.parent} does not exist.")
    kind = engine()
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "backup-", dir=output.parent))
    partial = output.with_name(f".{output.name}.partial")
    try:
        db_file = staging / Path(DB_MEMBER[kind]).name
        snapshot = _snapshot_sqlite(db_file) if kind == "sqlite" else _snapshot_postgresql(db_file)
        manifest = _write_archive(partial, kind, db_file, snapshot, exclude={output, partial})
        os.replace(partial, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        partial.unlink(missing_ok=True)
    result = BackupResult(output, output.stat().st_size, manifest, time.monotonic() - started)
    # After the snapshot, so not in this archive: the next backup carries it.
    audit.record(
        actor=actor,
        action="backup.created",
        category=audit.CATEGORY_EXPORT,
        object_type="backup",
        object_repr=str(output),
        after={
            "size": result.size,
            "files": len(manifest["files"]),
            "engine": kind,
            "audit_head_seq": (manifest["audit_head"] or {}).get("last_seq", 0),
        },
    )
    return result


# --- database snapshots ---------------------------------------------------------------------
def _snapshot_sqlite(target: Path) -> dict[str, Any]:
    """SQLite's online backup API in one step: a single read transaction, so the copy is one
    point in time while the platform keeps writing (WAL: readers never block writers)."""
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest, pages=-1)
    finally:
        source.close()
    try:
        # Read from the copy itself: exactly the state the archive holds.
        return {
            "migrations": _migrations(dest.execute(_MIGRATIONS_SQL).fetchall()),
            "audit_head": _audit_head(dest.execute(_HEAD_SQL).fetchone()),
            "server_version": sqlite3.sqlite_version,
        }
    finally:
        dest.close()


_MIGRATIONS_SQL = "SELECT app, name FROM django_migrations ORDER BY app, id"
_HEAD_SQL = "SELECT last_seq, last_hash FROM core_audithead WHERE id = 1"


def _migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return applied


def _audit_head(row: tuple[int, str] | None) -> dict[str, Any] | None:
    return {"last_seq": row[0], "last_hash": row[1]} if row else None


def _snapshot_postgresql(target: Path) -> dict[str, Any]:
    """pg_dump of a snapshot this connection exports: the migration state and the audit head in
    the manifest are read in the very snapshot the dump holds."""
    server_major = connection.pg_version // 10000  # type: ignore[attr-defined]
    tool_major = pg_tool_major("pg_dump")
    if tool_major < server_major:
        raise BackupError(
            f"pg_dump {tool_major} cannot dump a PostgreSQL {server_major} server. Install the "
            f"PostgreSQL {server_major} client (postgresql-client-{server_major}) and set "
            f"OPENMSP_PG_BIN_DIR to its bin directory (e.g. /usr/lib/postgresql/{server_major}/bin)."
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        cursor.execute(_MIGRATIONS_SQL)
        migrations = _migrations(cursor.fetchall())
        cursor.execute(_HEAD_SQL)
        head = _audit_head(cursor.fetchone())
        run_pg_tool(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot_id}", f"--file={target}"],
            with_dbname=True,
        )
    return {
        "migrations": migrations,
        "audit_head": head,
        "server_version": str(connection.pg_version),  # type: ignore[attr-defined]
        "pg_dump_major": tool_major,
    }


def pg_tool(name: str) -> str:
    bin_dir = settings.OPENMSP_PG_BIN_DIR
    path = str(Path(bin_dir) / name) if bin_dir else shutil.which(name)
    if not path or not Path(path).exists():
        where = f" in OPENMSP_PG_BIN_DIR ({bin_dir})" if bin_dir else " on PATH"
        raise BackupError(f"{name} was not found{where}; install postgresql-client.")
    return path


def pg_tool_major(name: str) -> int:
    tool = pg_tool(name)
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)  # noqa: S603 - our own argv, no shell
    found = re.search(r"\s(\d+)(?:\.\d+)?", out.stdout)
    if not found:
        raise BackupError(f"Could not read the version of {name} from {out.stdout.strip()!r}.")
    return int(found.group(1))


def pg_env() -> dict[str, str]:
    """libpq environment for the pg_* tools: the connection Django uses, password not in argv."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if db.get("OPTIONS", {}).get(option):
            env["PG" + option.upper()] = str(db["OPTIONS"][option])
    return env


def run_pg_tool(name: str, args: list[str], *, with_dbname: bool) -> None:
    cmd = [pg_tool(name), *args]
    if with_dbname:
        cmd.append(f"--dbname={settings.DATABASES['default']['NAME']}")
    done = subprocess.run(cmd, env=pg_env(), capture_output=True, text=True)  # noqa: S603 - no shell
    if done.returncode != 0:
        raise BackupError(f"{name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


# --- stored files -----------------------------------------------------------------------------
def data_files(data_dir: Path, exclude: set[Path], db_name: str) -> Iterator[tuple[Path, str]]:
    """(absolute path, path relative to the data dir) of every stored file worth keeping."""
    exclude = exclude | {Path(db_name + suffix) for suffix in ("", "-wal", "-shm", "-journal")}
    for root, dirs, files in os.walk(data_dir):
        here = Path(root)
        if here == data_dir:
            dirs[:] = [d for d in dirs if d not in EXCLUDED_TOP]
        dirs[:] = sorted(d for d in dirs if not d.startswith(STAGING_PREFIX))
        for name in sorted(files):
            path = here / name
            if here == data_dir and EXCLUDED_FILE.match(name):
                continue
            if path in exclude or path.is_symlink() or not path.is_file():
                continue
            yield path, path.relative_to(data_dir).as_posix()


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, arcname: str) -> dict[str, Any]:
    with path.open("rb") as raw:
        stat = os.fstat(raw.fileno())
        info = tarfile.TarInfo(arcname)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = stat.st_mode & 0o777
        reader = _HashingReader(raw)
        tar.addfile(info, reader)
    return {"path": arcname, "size": info.size, "sha256": reader.sha.hexdigest()}


def _write_archive(
    partial: Path, kind: str, db_file: Path, snapshot: dict[str, Any], exclude: set[Path]
) -> dict[str, Any]:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with (
        os.fdopen(fd, "wb") as out,
        tarfile.open(fileobj=out, mode="w:gz", compresslevel=COMPRESS_LEVEL) as tar,
    ):
        database = _add(tar, db_file, DB_MEMBER[kind])
        files = [
            _add(tar, path, FILES_PREFIX + rel)
            for path, rel in data_files(
                Path(settings.DATA_DIR), exclude, str(settings.DATABASES["default"]["NAME"])
            )
        ]
        manifest = {
            "format_version": FORMAT_VERSION,
            "openmsp_version": openmsp_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "engine": kind,
            "ordering": "database snapshot first, then files",
            **snapshot,
            "database": database,
            "files": files,
        }
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
        tar.addfile(info, io.BytesIO(body))
        tar.close()
        out.flush()
        os.fsync(out.fileno())
    return manifest


def openmsp_version() -> str:
    try:
        return metadata.version("openmsp")
    except metadata.PackageNotFoundError:
        return "unknown"
