"""The data-flow spine's two seams (ARCHITECTURE.md § Data flow), as plain data and two calls.

    signal source ──observe(Observation)──▶ the Problem lifecycle ──problem_changed(ProblemChange)──▶ notifications

Every signal source (the poller's synthetic checks, heartbeats, agent checks, agent offline,
integration interfaces, Alertmanager, log events, backup and patch results) hands what it saw to
`observe()`. The alerts app registers the one observation sink: the Problem lifecycle. When a
problem changes state the lifecycle hands a `ProblemChange` to `problem_changed()`; the
notifications app registers the sink that routes it to channels.

Why a seam here rather than an import of the alerts app from every source: the sources and the
lifecycle are separate domains that must not import each other's internals, and tests of a source
can then assert what it *observed* without knowing how problems are kept.

Both calls run the sinks synchronously, inside the caller's transaction: a sink writes its rows
(problem state, outbox messages) in the same transaction as the observation, so nothing observed
is lost and nothing is notified for a change that rolled back. Sinks must not do network I/O;
delivery happens later, from the durable outbox, in a worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warning", "critical", "unknown"]
STATUSES: tuple[Status, ...] = ("ok", "warning", "critical", "unknown")


@dataclass(frozen=True)
class NoisePolicy:
    """The anti-noise knobs of the rule that produced an observation (set per check by its source).

    The lifecycle applies them: a problem fires only after `failures_to_fire` consecutive failing
    observations AND `hold_down_seconds` of continuous failure; it resolves only after
    `successes_to_recover` consecutive OK observations AND `recovery_seconds` of continuous OK; a
    problem whose state changed `flap_threshold` times within `flap_window_seconds` is flapping:
    one notice, then quiet until it has been stable for a whole window (0 disables).
    """

    failures_to_fire: int = 1
    hold_down_seconds: int = 0
    successes_to_recover: int = 1
    recovery_seconds: int = 0
    flap_threshold: int = 0
    flap_window_seconds: int = 3600


@dataclass(frozen=True)
class Observation:
    """One result of one rule on one object at one instant.

    The fingerprint of the problem it may open is (source, object_type, object_id, rule): the
    same check failing again counts as a repeat of the same problem, never a second problem.
    """

    client_id: int
    source: str  # "check", "heartbeat", "agent", "agent-check", "interface", "alertmanager", …
    object_type: str  # app_label.model of what was observed, e.g. "monitoring.check"
    object_id: str
    rule: str  # what was evaluated on it, e.g. "http", "late", "offline", an alertname
    status: Status
    observed_at: dt.datetime  # aware, UTC
    summary: str  # one line a technician reads, e.g. "HTTP 503 from https://erp.example/health"
    title: str = ""  # what the problem is called; defaults to summary when empty
    asset_id: int | None = None  # the host or device it concerns, for dependencies and reports
    labels: Mapping[str, str] = field(default_factory=dict)  # tags, for routing and maintenance
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-serialisable measurements
    policy: NoisePolicy = field(default_factory=NoisePolicy)
    # Alertmanager and other external sources already decided the state: no hold-down etc.
    external: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.observed_at.tzinfo is None:
            raise ValueError("observed_at must be timezone-aware")

    @property
    def fingerprint(self) -> str:
        return f"{self.source}:{self.object_type}:{self.object_id}:{self.rule}"


@dataclass(frozen=True)
class ProblemChange:
    """A problem entered a state that people may need to hear about."""

    problem_id: int
    client_id: int
    fingerprint: str
    # firing | acknowledged | resolved | escalated | flapping | reopened
    kind: str
    severity: str  # warning | critical
    title: str
    summary: str
    at: dt.datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    asset_id: int | None = None
    escalation_step: int = 0  # for kind == "escalated": which step of the ladder
    # Suppressed by a parent's problem or in a maintenance window: recorded, not notified.
    suppressed: bool = False
    in_maintenance: bool = False
    url: str = ""  # path of the problem page, e.g. "/problems/42/"


ObservationSink = Callable[[Observation], None]
ObservationBatchSink = Callable[[Sequence[Observation]], None]
ProblemSink = Callable[[ProblemChange], None]

_observation_sinks: list[ObservationSink] = []
_batch_sinks: dict[ObservationSink, ObservationBatchSink] = {}
_problem_sinks: list[ProblemSink] = []


def register_observation_sink(
    sink: ObservationSink, *, batch: ObservationBatchSink | None = None
) -> None:
    """`batch`, if given, takes many observations at once with the same effect as `sink` taking
    them one by one, in order (for a sink that can answer a batch with fewer queries)."""
    if sink not in _observation_sinks:
        _observation_sinks.append(sink)
    if batch is not None:
        _batch_sinks[sink] = batch


def unregister_observation_sink(sink: ObservationSink) -> None:
    """For tests that register a collecting sink: leave the registry as it was."""
    if sink in _observation_sinks:
        _observation_sinks.remove(sink)
    _batch_sinks.pop(sink, None)


def register_problem_sink(sink: ProblemSink) -> None:
    if sink not in _problem_sinks:
        _problem_sinks.append(sink)


def unregister_problem_sink(sink: ProblemSink) -> None:
    if sink in _problem_sinks:
        _problem_sinks.remove(sink)


def observe(observation: Observation) -> None:
    """Hand an observation to the Problem lifecycle, inside the caller's transaction."""
    for sink in _observation_sinks:
        sink(observation)


def observe_many(observations: Sequence[Observation]) -> None:
    """`observe()` each of them, in order, inside the caller's transaction; a sink that can take
    the batch at once does (the poller stores its results in batches: one lookup for all)."""
    if not observations:
        return
    for sink in _observation_sinks:
        batch = _batch_sinks.get(sink)
        if batch is not None:
            batch(observations)
        else:
            for observation in observations:
                sink(observation)


def problem_changed(change: ProblemChange) -> None:
    """Hand a problem's change to notifications, inside the caller's transaction."""
    for sink in _problem_sinks:
        sink(change)
