"""Poller figures for /metrics: schedule lag (due → start) of the runs of the last minute.

The poller's own lag buffer lives in the poller process; /metrics is served by the web process,
so the figures come from `CheckResult.lag_ms` (every run writes it) through
`queries.schedule_lag_ms`. One read per scrape over one minute of results; no client is named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from openmsp.monitoring import queries

WINDOW = dt.timedelta(minutes=1)
QUANTILES = (("p50", "0.5"), ("p99", "0.99"), ("max", "1"))


def collect() -> Iterator[Metric]:
    lag = queries.schedule_lag_ms(timezone.now() - WINDOW)
    runs = GaugeMetricFamily(
        "openmsp_poller_runs_last_minute", "Check runs that finished in the last minute"
    )
    runs.add_metric([], lag.get("count", 1.0 if lag else 0.0))
    yield runs
    family = GaugeMetricFamily(
        "openmsp_poller_schedule_lag_seconds",
        "How late check runs of the last minute started against their slot (due to start)",
        labels=["quantile"],
    )
    for key, quantile in QUANTILES:
        if key in lag:
            family.add_metric([quantile], lag[key] / 1000)
    yield family
