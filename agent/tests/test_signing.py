from __future__ import annotations

import hashlib
import hmac

from fakeserver import FakeServer
from openmsp_agent.config import Credentials
from openmsp_agent.transport import HttpTransport, auth_headers, signature


def test_signature_matches_a_reference_hmac_over_timestamp_method_path_and_body() -> None:
    body = b'{"batch_id":"b1","samples":[]}'
    reference = hmac.new(
        b"s3cret", b"1764133200.POST./agent/v1/batches." + body, hashlib.sha256
    ).hexdigest()

    assert (
        signature("s3cret", "1764133200", "POST", "/agent/v1/batches", body)
        == f"sha256={reference}"
    )


def test_signature_matches_known_vectors_computed_with_openssl() -> None:
    # printf '<message>' | openssl dgst -sha256 -hmac <secret>
    assert signature("k", "1700000000", "GET", "/agent/v1/commands", b"") == (
        "sha256=406597409788038fa4da77827e3d3cb73efe4e7aea5fa415f57571e7c62f1504"
    )
    assert signature("agent-secret", "1700000000", "POST", "/agent/v1/batches", b'{"a":1}') == (
        "sha256=6649dc952e941773a139f5102d99178c0bb0edfc2c1c7b6e87998b9f09ac44ce"
    )


def test_auth_headers_name_the_agent_and_carry_the_timestamp_that_was_signed() -> None:
    creds = Credentials("http://x", "agent-1", "secret", "key")

    headers = auth_headers(creds, "POST", "/agent/v1/batches", b"{}", now=1764133200.9)

    assert headers["Authorization"] == "Agent agent-1"
    assert headers["X-OpenMSP-Timestamp"] == "1764133200"
    assert headers["X-OpenMSP-Signature"] == signature(
        "secret", "1764133200", "POST", "/agent/v1/batches", b"{}"
    )


def test_the_transport_signs_the_path_without_its_query_string_and_with_the_url_prefix(
    server: FakeServer,
) -> None:
    creds = Credentials(server.url, "agent-1", "secret", "key")
    transport = HttpTransport(server.url + "/prefix", credentials=lambda: creds)

    transport.send("GET", "/agent/v1/commands?wait=0")
    transport.close()

    request = server.state.requests[-1]
    assert request.path == "/prefix/agent/v1/commands?wait=0"
    timestamp = request.headers["x-openmsp-timestamp"]
    assert request.headers["x-openmsp-signature"] == signature(
        "secret", timestamp, "GET", "/prefix/agent/v1/commands", b""
    )


def test_the_fake_server_accepts_what_the_real_transport_signs(
    server: FakeServer, credentials: Credentials
) -> None:
    transport = HttpTransport(server.url, credentials=lambda: credentials)

    response = transport.send("GET", "/agent/v1/commands?wait=0")
    transport.close()

    assert response.status == 200
    assert response.json() == {"commands": []}
