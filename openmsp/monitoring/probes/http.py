"""HTTP(S): the answer's status, an expected text in the body, the latency, redirects followed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from openmsp.core import guarded_http, netguard
from openmsp.monitoring.probes.base import (
    ProbeResult,
    Status,
    Stopwatch,
    describe_error,
    threshold_status,
    worst,
)
from openmsp.monitoring.probes.specs import HttpSpec

BODY_LIMIT = 1_000_000  # bytes of body searched for the expected text
USER_AGENT = "OpenMSP-poller/1"


def _status_ok(spec: HttpSpec, code: int) -> bool:
    if spec.expected_status:
        return code in spec.expected_status
    return 200 <= code < 400


async def _fetch(url: str, spec: HttpSpec, timeout: float) -> tuple[httpx.Response, str]:
    # Every connection, redirects included, goes to an address vetted for the check's scope.
    guarded = guarded_http.async_transport(netguard.scope_var.get(), verify=spec.verify_tls)
    async with httpx.AsyncClient(
        transport=guarded,
        follow_redirects=spec.follow_redirects,
        max_redirects=spec.max_redirects,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,  # a poller's proxy variables must not reroute checks of clients' systems
    ) as client:
        request = client.build_request(
            spec.method, url, headers=spec.headers, content=spec.body.encode() or None
        )
        response = await client.send(request, stream=True)
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= BODY_LIMIT:
                    break
        finally:
            await response.aclose()
        text = b"".join(chunks)[:BODY_LIMIT].decode(response.encoding or "utf-8", "replace")
        return response, text


async def probe_http(
    target: str, spec: HttpSpec, timeout: float, state: Mapping[str, Any] | None = None
) -> ProbeResult:
    clock = Stopwatch()
    try:
        response, body = await _fetch(target, spec, timeout)
    except httpx.TooManyRedirects:
        return ProbeResult("critical", f"More than {spec.max_redirects} redirects from {target}")
    except (httpx.HTTPError, OSError) as exc:
        reason = "timed out" if isinstance(exc, httpx.TimeoutException) else describe_error(exc)
        return ProbeResult(
            "critical", f"{spec.method} {target}: {reason}", details={"error": reason}
        )
    latency = clock.ms()
    code = response.status_code
    details: dict[str, Any] = {
        "status_code": code,
        "final_url": str(response.url),
        "redirects": len(response.history),
        "bytes": len(body),
    }
    status: Status = "ok" if _status_ok(spec, code) else "critical"
    problems = [] if status == "ok" else [f"HTTP {code}"]
    if status == "ok" and spec.expected_text and spec.expected_text not in body:
        status = "critical"
        problems.append(f"'{spec.expected_text}' not found in the body")
    status = worst(
        status, threshold_status(latency, spec.latency_warning_ms, spec.latency_critical_ms)
    )
    headline = "; ".join(problems) if problems else f"HTTP {code}"
    return ProbeResult(
        status,
        f"{headline} from {target} in {latency:.0f} ms",
        latency_ms=latency,
        details=details,
    )
