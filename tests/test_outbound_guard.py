"""SSRF: what client users configure cannot reach the platform's own addresses; MSP admins can.

Real HTTP servers on loopback play "the platform's internal service". The suite's autouse fixture
allows loopback for every other test; each test here clears or narrows that allowance first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from conftest import make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core import netguard
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.integrations.base import DeliveryFailed
from openmsp.integrations.http import post_json
from openmsp.monitoring.probes import run_probe
from openmsp.monitoring.probes.specs import parse_settings
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


class Internal:
    """An HTTP server on *host* that records every request (path and Host header)."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str = "") -> None:
        self.requests: list[tuple[str, str]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                peer.requests.append((self.path, self.headers.get("Host", "")))
                if peer.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", peer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"internal secrets"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.redirect_to = redirect_to
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[Internal]:
    peer = Internal()
    yield peer
    peer.close()


@pytest.fixture
def no_allowance(settings: Any) -> None:
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def technician(db: None) -> User:
    return make_user("tess@msp.example", Role.TECHNICIAN)


def _probe(url: str, scope: str) -> Any:
    spec = parse_settings("http", {})
    return async_to_sync(run_probe)("http", url, spec, 5.0, None, scope=scope)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", "public"),
        ("2001:4860:4860::8888", "public"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("fd12:3456::1", "private"),
        ("127.0.0.1", "internal"),
        ("::1", "internal"),
        ("169.254.169.254", "internal"),
        ("fe80::1", "internal"),
        ("::ffff:127.0.0.1", "internal"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "never"),  # noqa: S104 - the address judged, not bound
        ("::", "never"),
        ("224.0.0.1", "never"),
        ("ff02::1", "never"),
    ],
)
def test_each_address_falls_in_one_kind(address: str, kind: str) -> None:
    import ipaddress

    assert netguard.kind_of(ipaddress.ip_address(address)) == kind


def test_scopes_reach_wider_one_step_at_a_time(no_allowance: None) -> None:
    netguard.judge("8.8.8.8", "public")
    for address in ("10.0.0.1", "127.0.0.1", "169.254.169.254", "::ffff:127.0.0.1"):
        with pytest.raises(netguard.Refused):
            netguard.judge(address, "public")
    netguard.judge("10.0.0.1", "private")
    with pytest.raises(netguard.Refused, match="loopback or link-local"):
        netguard.judge("169.254.169.254", "private")
    netguard.judge("169.254.169.254", "internal")
    with pytest.raises(netguard.Refused, match="never a valid target"):
        netguard.judge("0.0.0.0", "internal")  # noqa: S104


def test_the_allowed_networks_setting_opens_exactly_those_networks(settings: Any) -> None:
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    netguard.judge("127.0.0.1", "public")
    with pytest.raises(netguard.Refused):
        netguard.judge("127.0.0.2", "public")


def test_who_may_give_which_scope(
    alice: User, technician: User, msp_admin: User, msp_owner: User
) -> None:
    def scope(user: User, requested: str | None, current: str | None = None) -> str:
        return netguard.scope_for(Actor(user=user), requested, current)

    assert scope(alice, None) == "public"
    assert scope(technician, None) == "private"
    assert scope(msp_admin, None) == "private"
    assert scope(msp_owner, "internal") == "internal"
    assert scope(msp_admin, "internal") == "internal"
    with pytest.raises(ValidationFailed, match="Only MSP staff"):
        scope(alice, "private")
    with pytest.raises(ValidationFailed, match="MSP owner or admin"):
        scope(technician, "internal")
    # A client user saving a check staff set up narrows it: their target is vetted as public.
    assert scope(alice, None, "internal") == "public"
    assert scope(technician, None, "internal") == "private"


def test_a_client_users_http_check_of_an_internal_address_is_refused_with_the_reason(
    alice: User, client_a: Client, api_as: Any, internal: Internal, no_allowance: None
) -> None:
    body = {"client_id": client_a.pk, "name": "steal", "kind": "http", "target": internal.url}
    for target in (internal.url, "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
        response = api_as(alice).post(
            "/api/v1/checks", dict(body, target=target), content_type="application/json"
        )
        assert response.status_code == 422, target
        assert response.json()["field"] == "target"
        assert "refused" in response.json()["detail"]
    asked = dict(body, network_scope="internal")
    response = api_as(alice).post("/api/v1/checks", asked, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "network_scope"
    test_now = api_as(alice).post("/api/v1/checks/test", body, content_type="application/json")
    assert test_now.status_code == 422
    assert internal.requests == []


def test_an_msp_admin_may_allow_an_internal_target_and_the_check_reaches_it(
    msp_admin: User, technician: User, client_a: Client, api_as: Any, internal: Internal,
    no_allowance: None,
) -> None:  # fmt: skip
    body = {"client_id": client_a.pk, "name": "local api", "kind": "http", "target": internal.url}
    refused = api_as(technician).post(
        "/api/v1/checks", dict(body, network_scope="internal"), content_type="application/json"
    )
    assert refused.json()["field"] == "network_scope"
    created = api_as(msp_admin).post(
        "/api/v1/checks", dict(body, network_scope="internal"), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["network_scope"] == "internal"
    result = api_as(msp_admin).post(f"/api/v1/checks/{created.json()['id']}/test").json()
    assert result["status"] == "ok", result
    assert len(internal.requests) == 1


def test_at_connect_time_a_name_resolving_to_loopback_is_refused_and_never_contacted(
    internal: Internal, no_allowance: None
) -> None:
    # What DNS rebinding produces: a target that passed the save-time check now resolves inside.
    result = _probe(f"http://localhost:{internal.port}/", "public")
    assert result.status == "critical"
    assert "Refused to connect to localhost" in result.summary
    assert internal.requests == []


def test_the_vetted_address_is_used_and_the_host_name_still_sent(
    internal: Internal, no_allowance: None
) -> None:
    result = _probe(f"http://localhost:{internal.port}/health", "internal")
    assert result.status == "ok", result.summary
    assert internal.requests == [("/health", f"localhost:{internal.port}")]


def test_a_redirect_into_a_refused_address_is_not_followed(settings: Any) -> None:
    inner = Internal(host="127.0.0.2")
    outer = Internal(redirect_to=inner.url)
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the outer one only
    try:
        result = _probe(outer.url, "public")
        assert result.status == "critical"
        assert "127.0.0.2" in result.summary
        assert len(outer.requests) == 1
        assert inner.requests == []
    finally:
        inner.close()
        outer.close()


def test_a_client_users_webhook_to_an_internal_address_is_refused_at_save(
    alice: User, client_a: Client, api_as: Any, internal: Internal, no_allowance: None
) -> None:
    body = {"name": "hook", "kind": "webhook", "config": {"url": internal.url},
            "secret": "s" * 20}  # fmt: skip
    response = api_as(alice).post(
        f"/api/v1/clients/{client_a.pk}/notification-channels",
        body,
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "config.url"
    assert internal.requests == []


def test_a_delivery_outside_its_scope_fails_for_good_and_an_internal_one_arrives(
    internal: Internal, no_allowance: None
) -> None:
    with pytest.raises(DeliveryFailed) as refused:
        post_json(internal.url, b"{}", {}, None, scope="private")
    assert refused.value.retryable is False
    assert internal.requests == []
    assert post_json(internal.url, b"{}", {}, None, scope="internal").detail == "HTTP 200"
    assert len(internal.requests) == 1


def _check_form(client: Client, target: str, **extra: str) -> dict[str, str]:
    data = {
        "client": str(client.pk), "name": "local api", "target": target,
        "interval_seconds": "60", "timeout_seconds": "2", "retries": "0", "enabled": "on",
        "tags": "", "failures_to_fire": "1", "hold_down_seconds": "0",
        "successes_to_recover": "1", "recovery_seconds": "0", "flap_threshold": "0",
        "s-method": "GET", "s-max_redirects": "5",
    }  # fmt: skip
    data.update(extra)
    return data


def test_in_the_editor_only_msp_admins_get_the_internal_choice(
    alice: User, msp_admin: User, client_a: Client, web_as: Any, internal: Internal,
    no_allowance: None,
) -> None:  # fmt: skip
    client_page = web_as(alice).get(f"/checks/new/?kind=http&client={client_a.pk}")
    assert 'name="network_scope"' not in client_page.content.decode()
    refused = web_as(alice).post("/checks/new/?kind=http", _check_form(client_a, internal.url))
    assert refused.status_code == 200
    assert "refused" in refused.content.decode()
    admin = web_as(msp_admin)
    assert 'value="internal"' in admin.get("/checks/new/?kind=http").content.decode()
    saved = admin.post(
        "/checks/new/?kind=http", _check_form(client_a, internal.url, network_scope="internal")
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    from openmsp.monitoring.models import Check

    assert Check.objects.get(name="local api").network_scope == "internal"


def test_tcp_and_tls_probes_vet_the_address_when_they_connect(
    internal: Internal, no_allowance: None
) -> None:
    for kind, settings_ in (("tcp", {"port": internal.port}), ("tls", {"port": internal.port})):
        spec = parse_settings(kind, settings_)
        run = async_to_sync(run_probe)
        refused = run(kind, "localhost", spec, 3.0, None, scope="private")
        assert refused.status == "critical", kind
        assert "refused to connect to localhost" in refused.summary, refused.summary
        assert internal.requests == []
    reached = async_to_sync(run_probe)(
        "tcp", "localhost", parse_settings("tcp", {"port": internal.port}), 3.0, None,
        scope="internal",
    )  # fmt: skip
    assert reached.status == "ok", reached.summary
