"""Real peers on 127.0.0.1 for the checks' tests: HTTP, TCP, TLS (and the poller driver).

Each peer can fail and recover the way the real thing does: the HTTP server answers 503 or stops
listening, the TCP port closes, the TLS server swaps its certificate for one about to expire.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from openmsp.core import spine
from openmsp.monitoring.poller import Poller, PollerConfig

LOOPBACK = "127.0.0.1"


class Observed:
    """A collecting observation sink: what the checks handed to the spine, in order."""

    def __init__(self) -> None:
        self.items: list[spine.Observation] = []
        self._lock = threading.Lock()

    def __call__(self, observation: spine.Observation) -> None:
        with self._lock:
            self.items.append(observation)

    def of(self, object_id: int | str) -> list[spine.Observation]:
        with self._lock:
            return [o for o in self.items if o.object_id == str(object_id)]

    def statuses(self, object_id: int | str) -> list[str]:
        return [o.status for o in self.of(object_id)]


def run_poller_until(
    condition: Callable[[], bool], *, timeout: float = 20, config: PollerConfig | None = None
) -> Poller:
    """Drive the real poller (claim loop, probes, result writer) until *condition* holds."""
    poller = Poller(config or PollerConfig(idle_seconds=0.02))
    deadline = time.monotonic() + timeout
    async_to_sync(poller.run)(lambda: condition() or time.monotonic() > deadline)
    assert condition(), "the poller did not get there in time"
    return poller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


# --- HTTP -----------------------------------------------------------------------------------


class HttpPeer:
    """An HTTP server on 127.0.0.1 that can answer 200 or 503, and go down and come back."""

    def __init__(self, *, tls_days: float | None = None) -> None:
        """With `tls_days`, it speaks HTTPS with a self-signed certificate valid that long."""
        self.port = free_port()
        self.status = 200
        self.body = "all systems go"
        self._server: ThreadingHTTPServer | None = None
        self._tls: ssl.SSLContext | None = None
        if tls_days is not None:
            self._tls = make_certificate(Path(tempfile.mkdtemp()), valid_days=tls_days)
        self.start()

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{LOOPBACK}:{self.port}/health"

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/old":
                    self.send_response(302)
                    self.send_header("Location", "/health")
                    self.end_headers()
                    return
                body = peer.body.encode()
                self.send_response(peer.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        if self._tls is not None:
            self._server.socket = self._tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- TCP ------------------------------------------------------------------------------------


class TcpPeer:
    """A listening TCP port; the kernel completes handshakes, nothing needs to accept."""

    def __init__(self) -> None:
        self.port = free_port()
        self._sock: socket.socket | None = None
        self.open()

    def open(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, self.port))
        sock.listen(1024)
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


# --- TLS ------------------------------------------------------------------------------------


def make_certificate(
    directory: Path, *, valid_days: float, name: str = "localhost"
) -> ssl.SSLContext:
    """A self-signed certificate for *name* valid from a day ago for *valid_days* more, as a
    server context."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{valid_days}.crt", directory / f"{valid_days}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


class TlsPeer:
    """A TLS server on 127.0.0.1 whose certificate can be swapped while it runs."""

    def __init__(self, *, valid_days: float) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="openmsp-tls-"))
        self.context = make_certificate(self._dir, valid_days=valid_days)
        self._sock = socket.socket()
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self._running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def use_certificate(self, *, valid_days: float) -> None:
        self.context = make_certificate(self._dir, valid_days=valid_days)

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()

    def _handshake(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self._running = False
        self._sock.close()


# --- DNS ------------------------------------------------------------------------------------


class DnsPeer:
    """A tiny authoritative DNS server on a UDP port of 127.0.0.1, answering from `records`
    ({(name, type): [values]}; a missing name answers NXDOMAIN)."""

    def __init__(self, records: dict[tuple[str, str], list[str]]) -> None:
        self.records = records
        self.queries = 0  # how many questions it was asked (a refused probe must ask none)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self.port: int = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        while True:
            try:
                data, addr = self._sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            self.queries += 1
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            rdtype = dns.rdatatype.to_text(question.rdtype)
            values = self.records.get((name, rdtype))
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, "IN", rdtype, values)
                )
            elif not any(key[0] == name for key in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            self._sock.sendto(response.to_wire(), addr)

    def stop(self) -> None:
        self._sock.close()


# --- SNMP -----------------------------------------------------------------------------------

SNMP_COMMUNITY = "hanbit-ro"
SNMP_USER, SNMP_AUTH, SNMP_PRIV = "monitor", "authpass123", "privpass123"


class SnmpPeer:
    """Debian's snmpd on a free UDP port of 127.0.0.1 with a v2c community and a v3 user
    (SHA + AES), its own configuration and persistent directory (nothing of the system's)."""

    def __init__(self) -> None:
        import shutil

        binary = shutil.which("snmpd") or "/usr/sbin/snmpd"
        if not Path(binary).exists():
            import pytest

            pytest.skip("snmpd is not installed (scripts/ensure-services installs it)")
        self.binary = binary
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="openmsp-snmpd-"))
        (self._dir / "snmpd.conf").write_text(
            f"agentAddress udp:{LOOPBACK}:{self.port}\n"
            f"rocommunity {SNMP_COMMUNITY} {LOOPBACK}\n"
            f'createUser {SNMP_USER} SHA "{SNMP_AUTH}" AES "{SNMP_PRIV}"\n'
            f"rouser {SNMP_USER} priv\n"
            "sysLocation OpenMSP test rack\n"
        )
        self._proc: Any = None
        self.start()

    def start(self) -> None:
        import os
        import subprocess

        env = dict(os.environ, SNMP_PERSISTENT_DIR=str(self._dir / "state"), MIBS="")
        self._proc = subprocess.Popen(
            [self.binary, "-f", "-Lf", str(self._dir / "log"), "-C", "-c",
             str(self._dir / "snmpd.conf"), "-p", str(self._dir / "pid")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        import asyncio

        from openmsp.core import netguard
        from openmsp.monitoring.probes.snmp import SnmpFailure, snmp_get
        from openmsp.monitoring.probes.specs import SnmpSpec

        spec = SnmpSpec.model_validate({"port": self.port, "community": SNMP_COMMUNITY})

        async def ask() -> None:
            # The harness asking its own peer, not a check: whatever a test allows checks to reach.
            netguard.scope_var.set(netguard.INTERNAL)
            await snmp_get(LOOPBACK, spec, 0.3, ["1.3.6.1.2.1.1.3.0"])

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                asyncio.run(ask())
                return
            except SnmpFailure:
                continue  # not listening yet: the GET timed out, ask again
        raise AssertionError("snmpd did not start: " + self.log())

    def log(self) -> str:
        path = self._dir / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None
