"""The poller's claim loop runs checks against real peers on 127.0.0.1 and tells the spine what
it saw: the status changes when the fault appears and again when it clears."""

from __future__ import annotations

import ssl

import pytest

from openmsp.accounts.models import User
from openmsp.core import guarded_http
from openmsp.monitoring.models import Check, CheckResult
from openmsp.monitoring.tests.conftest import due_now, make_check
from openmsp.monitoring.tests.peers import (
    LOOPBACK,
    HttpPeer,
    Observed,
    TcpPeer,
    TlsPeer,
    run_poller_until,
)
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


def _run_and_get(observed: Observed, check: Check, count: int) -> str:
    run_poller_until(lambda: len(observed.of(check.pk)) >= count)
    return observed.statuses(check.pk)[count - 1]


def test_an_http_check_turns_critical_when_the_site_fails_and_ok_when_it_is_back(
    alice: User, client_a: Client, observed: Observed, http_peer: HttpPeer
) -> None:
    check = make_check(
        alice, client_a, kind="http", target=http_peer.url,
        settings={"expected_text": "systems go"}, tags=["env=prod", "erp"],
    )  # fmt: skip
    assert _run_and_get(observed, check, 1) == "ok"

    http_peer.status = 503
    due_now(check)
    assert _run_and_get(observed, check, 2) == "critical"
    assert "HTTP 503" in observed.of(check.pk)[1].summary

    http_peer.stop()  # down altogether: connection refused
    due_now(check)
    assert _run_and_get(observed, check, 3) == "critical"

    http_peer.status = 200
    http_peer.start()
    due_now(check)
    assert _run_and_get(observed, check, 4) == "ok"

    first = observed.of(check.pk)[0]
    assert (first.source, first.object_type, first.rule) == ("check", "monitoring.check", "http")
    assert first.client_id == client_a.pk
    assert dict(first.labels) == {"env": "prod", "erp": "true"}
    history = list(CheckResult.objects.filter(for_check=check).order_by("at"))
    assert [r.status for r in history] == ["ok", "critical", "critical", "ok"]
    check.refresh_from_db()
    assert check.last_status == "ok"
    assert check.claim_token == ""


def test_an_https_check_verifies_the_certificate_unless_told_not_to(
    alice: User, client_a: Client, observed: Observed
) -> None:
    """The TLS settings are built once per process and shared (guarded_http.tls_context): a
    check that does not verify must never lend its settings to one that does, in either order."""
    peer = HttpPeer(tls_days=90)  # self-signed
    try:
        strict = make_check(alice, client_a, kind="http", target=peer.url)
        lax = make_check(
            alice, client_a, kind="http", target=peer.url, settings={"verify_tls": False}
        )
        for round_ in (1, 2):

            def both_seen(n: int = round_) -> bool:
                return len(observed.of(strict.pk)) >= n and len(observed.of(lax.pk)) >= n

            run_poller_until(both_seen)
            assert observed.statuses(strict.pk)[round_ - 1] == "critical"
            assert "certificate" in observed.of(strict.pk)[round_ - 1].summary.lower()
            assert observed.statuses(lax.pk)[round_ - 1] == "ok"
            due_now(strict)
            due_now(lax)
    finally:
        peer.stop()

    ours = guarded_http.async_transport("public", verify=True)._pool._ssl_context
    assert ours is guarded_http.async_transport("public")._pool._ssl_context
    assert ours is guarded_http.transport("public")._pool._ssl_context
    assert ours is not None
    assert ours.verify_mode == ssl.CERT_REQUIRED
    lenient = guarded_http.async_transport("public", verify=False)._pool._ssl_context
    assert lenient is not None
    assert lenient.verify_mode == ssl.CERT_NONE
    assert not lenient.check_hostname


def test_an_http_check_that_expects_text_fails_when_the_text_is_missing(
    alice: User, client_a: Client, observed: Observed, http_peer: HttpPeer
) -> None:
    check = make_check(
        alice, client_a, kind="http", target=f"http://{LOOPBACK}:{http_peer.port}/old",
        settings={"expected_text": "systems go", "expected_status": [200]},
    )  # fmt: skip
    assert _run_and_get(observed, check, 1) == "ok"
    assert observed.of(check.pk)[0].details["redirects"] == 1

    http_peer.body = "maintenance page"
    due_now(check)
    assert _run_and_get(observed, check, 2) == "critical"
    assert "not found in the body" in observed.of(check.pk)[1].summary


def test_a_tcp_check_turns_critical_when_the_port_closes_and_ok_when_it_reopens(
    alice: User, client_a: Client, observed: Observed, tcp_peer: TcpPeer
) -> None:
    check = make_check(
        alice, client_a, kind="tcp", target=LOOPBACK, settings={"port": tcp_peer.port},
        failures_to_fire=3, hold_down_seconds=60, successes_to_recover=2,
    )  # fmt: skip
    assert _run_and_get(observed, check, 1) == "ok"
    tcp_peer.close()
    due_now(check)
    assert _run_and_get(observed, check, 2) == "critical"
    tcp_peer.open()
    due_now(check)
    assert _run_and_get(observed, check, 3) == "ok"

    policy = observed.of(check.pk)[0].policy
    assert (policy.failures_to_fire, policy.hold_down_seconds, policy.successes_to_recover) == (
        3, 60, 2,
    )  # fmt: skip


def test_a_tls_check_warns_of_a_certificate_about_to_expire_and_clears_when_it_is_renewed(
    alice: User, client_a: Client, observed: Observed
) -> None:
    peer = TlsPeer(valid_days=90)
    try:
        check = make_check(
            alice, client_a, kind="tls", target=LOOPBACK,
            settings={"port": peer.port, "server_name": "localhost", "verify": False,
                      "warning_days": 30, "critical_days": 7},
        )  # fmt: skip
        assert _run_and_get(observed, check, 1) == "ok"

        peer.use_certificate(valid_days=3)
        due_now(check)
        assert _run_and_get(observed, check, 2) == "critical"
        assert observed.of(check.pk)[1].details["days_left"] < 4

        peer.use_certificate(valid_days=20)
        due_now(check)
        assert _run_and_get(observed, check, 3) == "warning"

        peer.use_certificate(valid_days=365)
        due_now(check)
        assert _run_and_get(observed, check, 4) == "ok"
    finally:
        peer.stop()


def test_a_verifying_tls_check_says_a_self_signed_certificate_is_not_trusted(
    alice: User, client_a: Client, observed: Observed
) -> None:
    peer = TlsPeer(valid_days=90)
    try:
        check = make_check(
            alice, client_a, kind="tls", target=LOOPBACK,
            settings={"port": peer.port, "server_name": "localhost"},
        )  # fmt: skip
        assert _run_and_get(observed, check, 1) == "critical"
        summary = observed.of(check.pk)[0].summary
        assert "not trusted" in summary
        assert "expires in" in summary
    finally:
        peer.stop()
