"""Which routes a problem change goes to, and which group it joins: pure, no ORM.

A rule matches when every condition it sets holds (an empty list means "any"): severity in
`severities`, source in `sources`, kind in `kinds`, and every label matcher. Rules are tried in
order; the first match wins unless it has `continue_matching`, in which case later rules are
tried too. When no rule matched, the client's default route (if any) takes the change.

Labels seen by matchers and group keys are the change's own labels plus `source`, `severity` and
`alertname` (the fingerprint's rule) unless the change sets them itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

OPS = ("=", "!=", "=~", "!~")
MAX_PATTERN = 500


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = _compiled(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def check_pattern(pattern: str) -> str | None:
    """Why a regex cannot be used, or None (for validation at save time)."""
    if len(pattern) > MAX_PATTERN:
        return f"The pattern is longer than {MAX_PATTERN} characters."
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}."
    return None


@dataclass(frozen=True)
class Rule:
    id: int
    severities: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    matchers: tuple[Matcher, ...] = ()
    continue_matching: bool = False
    is_default: bool = False
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """The facts of a ProblemChange that routing looks at."""

    kind: str
    severity: str
    source: str
    labels: Mapping[str, str] = field(default_factory=dict)


def source_of(fingerprint: str) -> str:
    return fingerprint.split(":", 1)[0]


def effective_labels(
    labels: Mapping[str, str], *, source: str, severity: str, fingerprint: str = ""
) -> dict[str, str]:
    derived = {"source": source, "severity": severity}
    if fingerprint.count(":") >= 3:
        derived["alertname"] = fingerprint.rsplit(":", 1)[1]
    return {**derived, **{str(k): str(v) for k, v in labels.items()}}


def rule_matches(rule: Rule, change: Change) -> bool:
    if rule.severities and change.severity not in rule.severities:
        return False
    if rule.sources and change.source not in rule.sources:
        return False
    if rule.kinds and change.kind not in rule.kinds:
        return False
    return all(m.matches(change.labels) for m in rule.matchers)


def select_routes(rules: Sequence[Rule], change: Change) -> list[Rule]:
    """The routes that take *change*, in order (the default route only when nothing else did)."""
    chosen: list[Rule] = []
    for rule in rules:
        if rule.is_default or not rule_matches(rule, change):
            continue
        chosen.append(rule)
        if not rule.continue_matching:
            break
    if not chosen:
        chosen = [r for r in rules if r.is_default and rule_matches(r, change)][:1]
    return chosen


def group_labels(rule: Rule, labels: Mapping[str, str]) -> dict[str, str]:
    return {name: labels.get(name, "") for name in rule.group_by}


def group_key(values: Mapping[str, str]) -> str:
    """Canonical text of a group's label values: equal values, equal key, whatever the order."""
    return json.dumps(dict(sorted(values.items())), ensure_ascii=False, separators=(",", ":"))


def matchers_from(raw: Iterable[Mapping[str, str]]) -> tuple[Matcher, ...]:
    return tuple(Matcher(str(m["name"]), str(m["op"]), str(m["value"])) for m in raw)
