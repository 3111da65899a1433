"""Agent traffic takes the slim ASGI stack (openmsp/asgi.py); everything else the full one."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from openmsp.asgi import application


def _get(path: str) -> tuple[int, dict[str, str]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def run() -> tuple[int, dict[str, str]]:
        app = ApplicationCommunicator(application, scope)
        await app.send_input({"type": "http.request", "body": b""})
        start: dict[str, Any] = await app.receive_output(10)
        body: dict[str, Any] = await app.receive_output(10)
        await app.wait(10)  # the handler closes the request's body file when it ends
        headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        headers["(body length)"] = str(len(body["body"]))
        return start["status"], headers

    return async_to_sync(run)()


def test_agent_paths_skip_the_browser_middleware_but_keep_the_request_id() -> None:
    status, headers = _get("/agent/v1/no-such-endpoint")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert "x-request-id" in headers
    assert "x-frame-options" not in headers  # XFrameOptionsMiddleware did not run
    # CommonMiddleware does not run either; without a length uvicorn would answer chunked
    # (a keep-alive client that expects a length then misreads the next answer).
    assert headers["content-length"] == headers["(body length)"] != "0"


def test_other_paths_still_take_the_full_middleware_stack() -> None:
    status, headers = _get("/agent-but-not-agent-api")
    assert status == 404
    assert headers["x-frame-options"] == "DENY"
    assert "x-request-id" in headers
