"""Maintenance windows as pure data: when a window is open, and whether it covers a problem.

A window is one-off (starts_at..ends_at) or recurring: a cron expression evaluated in the
window's IANA time zone (so "02:00 every Sunday" stays 02:00 local across DST), each occurrence
lasting `duration_minutes`, only between starts_at and ends_at when those are given.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from croniter import croniter

MAX_OCCURRENCES = 20_000  # a every-minute window over a year is 525,600: refuse, do not hang


@dataclass(frozen=True)
class WindowSpec:
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    cron: str = ""
    duration_minutes: int | None = None
    time_zone: str = "UTC"


@dataclass(frozen=True)
class Scope:
    """What a window covers inside its client; every field set must match."""

    site_id: int | None = None
    asset_id: int | None = None
    tag: str = ""  # "name" (an asset tag) or "key=value" (an observation label)
    fingerprint_prefix: str = ""


@dataclass(frozen=True)
class Subject:
    """What is known about a problem when deciding whether a window covers it."""

    fingerprint: str
    asset_id: int | None = None
    site_id: int | None = None
    asset_tags: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)


def valid_cron(expression: str) -> bool:
    return bool(expression) and croniter.is_valid(expression)


def occurrences(
    spec: WindowSpec, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The window's open intervals that overlap [start, end), clipped to it, in UTC."""
    if not spec.cron:
        if spec.starts_at is None or spec.ends_at is None:
            return []
        return _clip([(spec.starts_at, spec.ends_at)], start, end)
    duration = dt.timedelta(minutes=spec.duration_minutes or 0)
    if duration <= dt.timedelta(0):
        return []
    zone = zoneinfo.ZoneInfo(spec.time_zone)
    lower = max(start - duration, spec.starts_at or start - duration)
    # croniter's next is strictly after its start: step back so an occurrence at `lower` counts.
    it = croniter(spec.cron, (lower - dt.timedelta(seconds=1)).astimezone(zone))
    found: list[tuple[dt.datetime, dt.datetime]] = []
    for _ in range(MAX_OCCURRENCES):
        begin: dt.datetime = it.get_next(dt.datetime).astimezone(dt.UTC)
        if begin >= end or (spec.ends_at is not None and begin >= spec.ends_at):
            break
        finish = begin + duration
        if spec.ends_at is not None:
            finish = min(finish, spec.ends_at)
        found.append((begin, finish))
    return _clip(found, start, end)


def _clip(
    intervals: Iterable[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    for a, b in intervals:
        a, b = max(a, start), min(b, end)
        if a < b:
            out.append((a, b))
    return out


def active_at(spec: WindowSpec, at: dt.datetime) -> bool:
    return bool(occurrences(spec, at, at + dt.timedelta(microseconds=1)))


def covers(scope: Scope, subject: Subject) -> bool:
    if scope.asset_id is not None and scope.asset_id != subject.asset_id:
        return False
    if scope.site_id is not None and scope.site_id != subject.site_id:
        return False
    if scope.fingerprint_prefix and not subject.fingerprint.startswith(scope.fingerprint_prefix):
        return False
    if scope.tag:
        key, sep, value = scope.tag.partition("=")
        if sep:
            return subject.labels.get(key.strip()) == value.strip()
        return scope.tag in subject.asset_tags
    return True
