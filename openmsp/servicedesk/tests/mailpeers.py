"""Real mail servers on 127.0.0.1 for the desk's mail tests: Debian's dovecot (IMAP) with its own
configuration, users (passwd-file) and maildirs in a temporary directory, on a free port; mail
is delivered to it by IMAP APPEND, as a mail system's delivery agent would."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from openmsp.monitoring.tests.peers import LOOPBACK, free_port

DESK_USER, DESK_PASSWORD = "desk@msp.example", "imap-secret-1"


class DovecotPeer:
    def __init__(self) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            pytest.skip("dovecot is not installed (scripts/ensure-services installs it)")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="openmsp-dovecot-"))
        self.dir.chmod(0o755)
        # As root dovecot drops to its package's users; as anyone else it runs as that user.
        if os.geteuid() == 0:
            internal, login = "dovecot", "dovenull"
        else:
            internal = login = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
        for sub in ("mail", "home"):
            (self.dir / sub).mkdir()
            shutil.chown(self.dir / sub, internal, group)
        (self.dir / "users").write_text(f"{DESK_USER}:{{PLAIN}}{DESK_PASSWORD}::::::\n")
        (self.dir / "dovecot.conf").write_text(
            f"""protocols = imap
listen = {LOOPBACK}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/log
info_log_path = {self.dir}/log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
mail_location = maildir:{self.dir}/mail/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {LOOPBACK}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.dir}/users
  default_fields = uid={internal} gid={group} home={self.dir}/home/%u
}}
"""
        )
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.dir / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_greeting()

    def _wait_until_greeting(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)  # not listening yet; poll the port again
        raise AssertionError("dovecot did not start: " + self.log())

    def log(self) -> str:
        path = self.dir / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """Deliver one message; its UID."""
        conn = imaplib.IMAP4(LOOPBACK, self.port, timeout=10)
        try:
            conn.login(DESK_USER, DESK_PASSWORD)
            typ, data = conn.append(folder, None, None, raw.replace(b"\n", b"\r\n"))
            assert typ == "OK", data
            # "[APPENDUID <validity> <uid>] Append completed."
            return int(data[0].split(b"]")[0].split()[-1])
        finally:
            conn.logout()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
