"""The archive checks `openmsp restore` makes before it touches anything, on hand-made archives.

(The real round trip, on both engines, is tests/test_backup_restore.py.)
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from openmsp.core import backup, restore
from openmsp.core.actor import Actor


def _archive(path: Path, members: dict[str, bytes], manifest: dict[str, Any] | None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        items = dict(members)
        if manifest is not None:
            items["manifest.json"] = json.dumps(manifest).encode()
        for name, data in items.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _entry(name: str, data: bytes) -> dict[str, Any]:
    return {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


DB = b"SQLite format 3\x00 pretend"
FILE = b"attachment bytes"


def _manifest(**overrides: Any) -> dict[str, Any]:
    return {
        "format_version": 1,
        "openmsp_version": "0.1.0",
        "engine": "sqlite",
        "migrations": {},
        "audit_head": None,
        "database": _entry("database/openmsp.sqlite3", DB),
        "files": [_entry("files/attachments/1/1/log.txt", FILE)],
        **overrides,
    }


GOOD = {"database/openmsp.sqlite3": DB, "files/attachments/1/1/log.txt": FILE}


def test_it_reads_an_archive_that_matches_its_manifest_and_extracts_it(tmp_path: Path) -> None:
    path = _archive(tmp_path / "a.tar.gz", GOOD, _manifest())
    out = tmp_path / "out"
    assert restore.read_archive(path, out)["engine"] == "sqlite"
    assert (out / "files/attachments/1/1/log.txt").read_bytes() == FILE


def test_it_names_a_member_whose_bytes_changed(tmp_path: Path) -> None:
    altered = GOOD | {"files/attachments/1/1/log.txt": b"attachment bytez"}
    path = _archive(tmp_path / "a.tar.gz", altered, _manifest())
    with pytest.raises(restore.RestoreError, match=r"log\.txt does not match its sha256"):
        restore.read_archive(path)


def test_it_names_missing_and_unlisted_members(tmp_path: Path) -> None:
    members = {"database/openmsp.sqlite3": DB, "files/secret_key": b"x"}
    path = _archive(tmp_path / "a.tar.gz", members, _manifest())
    with pytest.raises(restore.RestoreError) as refused:
        restore.read_archive(path)
    assert "files/attachments/1/1/log.txt is missing" in str(refused.value)
    assert "files/secret_key is not in the manifest" in str(refused.value)


def test_it_refuses_an_archive_without_a_manifest(tmp_path: Path) -> None:
    path = _archive(tmp_path / "a.tar.gz", GOOD, None)
    with pytest.raises(restore.RestoreError, match=r"has no manifest\.json"):
        restore.read_archive(path)


def test_it_refuses_an_unknown_format_version(tmp_path: Path) -> None:
    path = _archive(tmp_path / "a.tar.gz", GOOD, _manifest(format_version=9))
    with pytest.raises(restore.RestoreError, match="backup format 9"):
        restore.read_archive(path)


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/cron.d/evil", "files/../../x"])
def test_it_refuses_members_that_would_land_outside_the_scratch_directory(
    tmp_path: Path, name: str
) -> None:
    path = _archive(tmp_path / "a.tar.gz", GOOD | {name: b"x"}, _manifest())
    out = tmp_path / "out"
    with pytest.raises(restore.RestoreError, match="unexpected entry"):
        restore.read_archive(path, out)
    assert not (tmp_path / "escape.txt").exists()


def test_it_refuses_a_file_that_is_not_a_gzip_tar(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an archive")
    with pytest.raises(restore.RestoreError, match="not a readable backup archive"):
        restore.read_archive(path)


def test_backup_names_a_missing_output_directory(tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="does not exist"):
        backup.create(tmp_path / "nowhere" / "b.tar.gz", actor=Actor.system("test"))


def test_backup_leaves_out_the_database_static_files_and_scratch_directories(
    tmp_path: Path,
) -> None:
    for rel in [
        "openmsp.sqlite3",
        "openmsp.sqlite3-wal",
        "elsewhere.db",
        "elsewhere.db-shm",
        "test-openmsp.sqlite3",
        "static/app.css",
        "backups/old.tar.gz",
        ".openmsp-restore-x/files/a",
        "secret_key",
        "attachments/1/2/report.pdf",
        "local-agent/state.json",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    kept = sorted(
        rel for _path, rel in backup.data_files(tmp_path, set(), str(tmp_path / "elsewhere.db"))
    )
    assert kept == ["attachments/1/2/report.pdf", "local-agent/state.json", "secret_key"]
