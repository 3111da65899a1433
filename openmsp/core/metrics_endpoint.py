"""`/metrics`: the platform's own health in Prometheus text format (prometheus-client).

Any app adds its figures with `register(collect)`, where `collect()` returns prometheus-client
metric families (GaugeMetricFamily, CounterMetricFamily …) computed at scrape time, typically
from one aggregate query. Figures come from the database, not from in-process counters: web,
worker and scheduler are separate processes (several of each), and the one answering the scrape
must report the work all of them did.

Only installation-wide aggregates belong here, never a client's name or id: the endpoint is
outside tenant scoping. Protect it with OPENMSP_METRICS_TOKEN (docs/configuration.md).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger("openmsp.metrics_endpoint")
Collect = Callable[[], Iterable[Metric]]
_COLLECTORS: dict[str, Collect] = {}


def register(name: str, collect: Collect) -> None:
    """Add (or replace, by name) a function whose metric families every scrape reports."""
    _COLLECTORS[name] = collect


class _Collector:
    def collect(self) -> Iterator[Metric]:
        for name, collect in sorted(_COLLECTORS.items()):
            ok = 1.0
            try:
                yield from collect()
            except Exception:  # one broken collector must not blank the whole scrape
                log.exception("metrics collector %s failed", name)
                ok = 0.0
            up = GaugeMetricFamily(
                "openmsp_collector_up", "1 if the collector answered", labels=["collector"]
            )
            up.add_metric([name], ok)
            yield up


def _authorised(request: HttpRequest) -> bool:
    token: str = settings.OPENMSP_METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = HttpResponse("Bearer token required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    body: Any = generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
