"""Reading a mailbox over IMAP (stdlib imaplib): new messages by UID, nothing changed on the
server (BODY.PEEK leaves them unread; the desk remembers the last UID it processed).

A UID is only meaningful together with the folder's UIDVALIDITY: when the server renumbers the
folder (a new UIDVALIDITY), every message is read again and the desk's Message-ID index drops
the ones it already has.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"UID (\d+)")


class ImapError(Exception):
    """The server could not be reached, refused the login or the folder: a sentence to show."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    password: str
    folder: str = "INBOX"
    timeout: float = 30.0


class ImapSession:
    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapSession:
        a = self.account
        try:
            if a.security == "ssl":
                ctx = ssl.create_default_context()
                self.conn = imaplib.IMAP4_SSL(a.host, a.port, ssl_context=ctx, timeout=a.timeout)
            else:
                self.conn = imaplib.IMAP4(a.host, a.port, timeout=a.timeout)
                if a.security == "starttls":
                    self.conn.starttls(ssl.create_default_context())
            self.conn.login(a.username, a.password)
        except (OSError, imaplib.IMAP4.error) as exc:
            self.close()
            raise ImapError(f"{a.host}:{a.port}: {_text(exc)}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.conn.logout()
            self.conn = None

    def select(self) -> tuple[int, int]:
        """(UIDVALIDITY, message count) of the folder, opened read-only."""
        assert self.conn is not None
        try:
            typ, data = self.conn.select(_quote(self.account.folder), readonly=True)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"folder {self.account.folder!r}: {_text(exc)}") from None
        if typ != "OK":
            raise ImapError(f"folder {self.account.folder!r}: {_text(data)}")
        _typ, validity = self.conn.response("UIDVALIDITY")
        value = int(validity[0]) if validity and validity[0] else 0
        return value, int(data[0] or 0)

    def uids_after(self, last_uid: int) -> list[int]:
        assert self.conn is not None
        typ, data = self.conn.uid("SEARCH", f"UID {last_uid + 1}:*")
        if typ != "OK":
            raise ImapError(f"search failed: {_text(data)}")
        # "n:*" also names the newest message when it is below n: keep only the new ones.
        return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        assert self.conn is not None
        for uid in uids:
            typ, data = self.conn.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
            if typ != "OK":
                raise ImapError(f"fetch of UID {uid} failed: {_text(data)}")
            for item in data:
                if isinstance(item, tuple) and _UID.search(item[0]):
                    yield uid, item[1]
                    break


def test_connection(account: ImapAccount) -> str:
    """Log in and open the folder; what was found, as a sentence (raises ImapError)."""
    with ImapSession(account) as session:
        validity, count = session.select()
    return f"{account.folder}: {count} messages (UIDVALIDITY {validity})"


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
