from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakeserver import FakeServer
from openmsp_agent.transport import HttpTransport, TransportError, make_ssl_context


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[FakeServer, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FakeServer(tls=context).start()
    yield server, cert
    server.stop()


def poll(url: str, context: ssl.SSLContext) -> int:
    transport = HttpTransport(url, ssl_context=context, timeout=5)
    try:
        return transport.send("GET", "/agent/v1/commands?wait=0").status
    finally:
        transport.close()


def test_a_server_certificate_from_an_unknown_ca_is_refused(
    tls_server: tuple[FakeServer, Path],
) -> None:
    server, _ = tls_server

    with pytest.raises(TransportError, match=r"certificate verification failed.*--ca-bundle"):
        poll(server.url, make_ssl_context(None, insecure_skip_verify=False))


def test_the_ca_bundle_makes_a_private_ca_trusted(tls_server: tuple[FakeServer, Path]) -> None:
    server, cert = tls_server

    assert poll(server.url, make_ssl_context(cert, insecure_skip_verify=False)) == 401


def test_skipping_verification_works_but_warns_loudly(
    tls_server: tuple[FakeServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = tls_server

    assert poll(server.url, make_ssl_context(None, insecure_skip_verify=True)) == 401
    assert "TLS CERTIFICATE VERIFICATION IS DISABLED" in caplog.text
