"""Hypothesis over the agent protocol (/agent/v1/): whatever a host sends, the answer is a 4xx
or a 200 with a JSON body, never a 5xx, and the server stays usable.

Bodies are signed correctly (so they get past the HMAC check and reach the parser and the
actions): random JSON of any shape, batches whose every field may be replaced by a random value
(huge integers, floats, wrong types, unicode, deep nesting), and raw bytes that are not JSON at
all. Derandomized and bounded (each test well under 30 s on two cores).
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import got_request_exception
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmsp.agent_api.tests.agents import SignedAgent, enroll_new, iso, sign
from openmsp.tenants.models import Client

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FUZZ = settings(
    max_examples=150,
    deadline=2000,  # ms per example: a hang fails the test instead of stalling the suite
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: 2**200 is valid JSON
    | st.floats()  # NaN and ±Infinity too: Python's json writes and reads them
    | st.text(max_size=40)
    | st.sampled_from(["", "\x00", "\ud7ff", "🛰️", "１２", "1e309", "-0", "2026-13-45T25:61:00Z"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)
TIMES = st.sampled_from(
    ["2026-12-02T05:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
     "2026-12-02T05:00:00", "2026-12-02T05:00:00+14:00", "2026-12-02T05:00:00-12:00", "now"]
) | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())  # fmt: skip


VALID_TIMES = st.sampled_from(["now"]) | st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2026, 11, 1), timezones=st.timezones()
).map(lambda d: d.isoformat())


def _maybe(valid: st.SearchStrategy[Any], wild: bool) -> st.SearchStrategy[Any]:
    """*valid*, or with *wild* sometimes anything at all in its place."""
    return st.one_of(valid, valid, JSON) if wild else valid


def _command_result(wild: bool, *, with_id: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    times = _maybe(TIMES if wild else VALID_TIMES, wild)
    return st.fixed_dictionaries(
        {"id": _maybe(st.uuids().map(str), wild)} if with_id else {},
        optional={
            "exit_code": _maybe(st.integers(-(2**31), 2**31 - 1) | st.none(), wild),
            "stdout": _maybe(st.text(), wild),
            "stderr": _maybe(st.text(), wild),
            "started_at": times,
            "finished_at": times,
            "truncated": _maybe(st.booleans(), wild),
            "refused": _maybe(st.text(max_size=600) | st.none(), wild),
            "timed_out": _maybe(st.booleans() | st.none(), wild),
        },
    )


def _shapes(wild: bool) -> dict[str, st.SearchStrategy[Any]]:
    """The batch's fields: values of the right type (any content), or with *wild* sometimes
    anything at all in their place."""

    def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return _maybe(valid, wild)

    times = maybe(TIMES if wild else VALID_TIMES)
    sample = st.fixed_dictionaries(
        {
            "t": times,
            "m": maybe(st.sampled_from(["cpu.percent", "disk.used_percent", "a.b_c.d9"])
                       | st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,5}){0,3}", fullmatch=True)),
            "v": maybe(st.floats(allow_nan=wild, allow_infinity=wild) | st.integers(-(2**53), 2**53)),
            "l": maybe(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True),
                                       st.text(max_size=50).filter(lambda v: "\x00" not in v), max_size=4)),
        }
    )  # fmt: skip
    command_result = _command_result(wild)
    inventory = st.none() | st.fixed_dictionaries(
        {"full": maybe(st.booleans())},
        optional={
            "snapshot": maybe(
                st.dictionaries(st.sampled_from(["os", "packages", "disks", "x"]), JSON)
            ),
            "base_hash": maybe(st.text(max_size=70)),
            "hash": maybe(st.text(max_size=70)),
            "changes": JSON,
        },
    )
    check_result = st.fixed_dictionaries(
        {"check_id": maybe(st.integers(-5, 2**63)), "t": times,
         "status": maybe(st.sampled_from(["ok", "warning", "critical", "unknown", "OK"]))},
        optional={"summary": maybe(st.text()), "details": JSON, "perfdata": JSON},
    )  # fmt: skip
    return {
        "batch_id": maybe(st.uuids().map(str)),
        "seq": maybe(st.integers(0, 2**63 - 1)),
        "sent_at": times,
        "samples": maybe(st.lists(sample, max_size=6)),
        "inventory": maybe(inventory),
        "check_results": maybe(st.lists(check_result, max_size=3)),
        "command_results": maybe(st.lists(command_result, max_size=3)),
        "agent": maybe(st.dictionaries(st.text(max_size=20), JSON, max_size=6)),
        "checks_version": maybe(st.text(max_size=120) | st.none()),
    }


def _batch(wild: bool) -> st.SearchStrategy[dict[str, Any]]:
    fields = _shapes(wild)
    required = ("batch_id", "seq", "sent_at")
    return st.fixed_dictionaries(
        {k: fields[k] for k in required},
        optional={k: v for k, v in fields.items() if k not in required},
    )


BATCH = _batch(wild=False) | _batch(wild=True)
COMMAND_RESULT = _command_result(wild=False, with_id=False) | _command_result(True, with_id=False)


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    """Tracebacks of unhandled exceptions, so a failure shows the 500's cause."""
    seen: list[str] = []

    def note(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc())

    got_request_exception.connect(note)
    yield seen
    got_request_exception.disconnect(note)


@pytest.fixture
def host(client_a: Client) -> SignedAgent:
    return enroll_new(client_a, machine_id="fuzz-01", hostname="fuzz-01")


def _now_in(body: Any) -> Any:
    """'now' in a time field becomes the current time (so some samples pass the future check)."""
    if body == "now":
        return iso(dt.datetime.now(dt.UTC))
    if isinstance(body, dict):
        return {k: _now_in(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_now_in(v) for v in body]
    return body


def _encode(body: Any) -> bytes:
    try:
        return json.dumps(_now_in(body), ensure_ascii=False).encode("utf-8", "surrogatepass")
    except ValueError:  # a number too big for json's int-to-str limit: send it as written
        return json.dumps(_now_in(body), default=str).encode()


def _assert_answered(response: Any, server_errors: list[str], body: bytes) -> None:
    assert response.status_code < 500, (
        f"{response.status_code} for {body[:500]!r}\n{server_errors[-1] if server_errors else ''}"
    )
    assert isinstance(json.loads(response.content), dict)
    if response.status_code >= 400:
        assert json.loads(response.content)["detail"]


def test_random_batches_never_get_a_server_error(
    host: SignedAgent, server_errors: list[str]
) -> None:
    @FUZZ
    @given(body=BATCH | JSON)
    def check(body: Any) -> None:
        raw = _encode(body)
        response = host.post("/agent/v1/batches", None, raw=raw)
        _assert_answered(response, server_errors, raw)

    check()
    assert host.batch().status_code == 200, "the agent can still deliver after the fuzz"


def test_bytes_that_are_not_json_never_get_a_server_error(
    host: SignedAgent, server_errors: list[str]
) -> None:
    @FUZZ
    @given(
        raw=st.binary(max_size=300) | st.text().map(lambda s: s.encode("utf-8", "surrogatepass"))
    )
    def check(raw: bytes) -> None:
        for path in ("/agent/v1/batches", f"/agent/v1/commands/{uuid.uuid4()}/result"):
            _assert_answered(host.post(path, None, raw=raw), server_errors, raw)

    check()


def test_random_command_results_never_get_a_server_error(
    host: SignedAgent, server_errors: list[str]
) -> None:
    """To real runs of this agent (so the results reach the action that stores them), and to
    unknown ones."""
    from openmsp.agent_api import actions
    from openmsp.agent_api.models import CommandRun
    from openmsp.core.actor import Actor

    for _ in range(30):
        actions.run_command(actor=Actor.system("fuzz"), assets=[host.agent.asset], script="id")
    runs = [str(pk) for pk in CommandRun.objects.values_list("pk", flat=True)]

    @FUZZ
    @given(body=COMMAND_RESULT | JSON, run=st.sampled_from(runs) | st.uuids().map(str))
    def check(body: Any, run: str) -> None:
        raw = _encode(body)
        response = host.post(f"/agent/v1/commands/{run}/result", None, raw=raw)
        _assert_answered(response, server_errors, raw)

    check()
    assert CommandRun.objects.exclude(result_at=None).exists(), "no result reached a run"


def test_random_enrollments_never_get_a_server_error(
    client_a: Client, server_errors: list[str]
) -> None:
    """With a real enrollment token half of the time, so the fields reach the action."""
    from openmsp.agent_api.tests.agents import make_token

    http = HttpClient()
    _token, text = make_token(client_a)
    enroll = st.fixed_dictionaries(
        {"enrollment_token": _maybe(st.just(text) | st.text(max_size=300), True)},
        optional={
            key: _maybe(st.text(max_size=300), True)
            for key in ("machine_id", "hostname", "os", "agent_version")
        },
    )

    @FUZZ
    @given(body=enroll | JSON)
    def check(body: Any) -> None:
        raw = _encode(body)
        response = http.generic(
            "POST", "/agent/v1/enroll", data=raw, content_type="application/json"
        )
        _assert_answered(response, server_errors, raw)

    check()


def test_random_signature_headers_are_refused_with_401_never_a_server_error(
    host: SignedAgent, server_errors: list[str]
) -> None:
    http = HttpClient()
    header = st.text(max_size=80) | st.integers().map(str)

    @FUZZ
    @given(agent=header, stamp=header, signature=header)
    def check(agent: str, stamp: str, signature: str) -> None:
        body = b'{"batch_id": "00000000-0000-4000-8000-000000000000", "seq": 1}'
        headers = {"Authorization": f"Agent {agent}", "X-OpenMSP-Timestamp": stamp,
                   "X-OpenMSP-Signature": signature}  # fmt: skip
        headers = {k: v.encode("utf-8", "replace").decode("latin-1") for k, v in headers.items()}
        response = http.generic(
            "POST", "/agent/v1/batches", data=body, content_type="application/json",
            headers=headers,
        )  # fmt: skip
        _assert_answered(response, server_errors, body)
        assert response.status_code in (400, 401, 422)

    check()
    # A correctly signed stamp still works: nothing above locked the agent out.
    body = json.dumps({"batch_id": str(uuid.uuid4()), "seq": 10**6, "sent_at": "now"}).encode()
    body = _encode(json.loads(body))
    headers = {"Authorization": f"Agent {host.agent_id}",
               **sign(host.secret, "POST", "/agent/v1/batches", body)}  # fmt: skip
    ok = http.generic(
        "POST", "/agent/v1/batches", data=body, content_type="application/json", headers=headers
    )
    assert ok.status_code == 200, ok.content
