"""Substring search through an index, on both engines, with the results of a plain scan.

The service desk and the knowledge base search by case-insensitive substring (`icontains`):
Korean attaches particles to nouns (프린터가, 프린터를), so word tokenizers miss what a user
types. A substring scan reads every subject and message body, so each engine gets a trigram
index that finds the *candidates* and the original predicate then decides on those alone:

- PostgreSQL: `pg_trgm` GIN indexes on `UPPER(column)`, the expression Django's `icontains`
  compares, so the planner uses them for the unchanged lookup (see `postgres_indexes`).
- SQLite: an FTS5 table per indexed table with the `trigram` tokenizer (SQLite ≥ 3.34), kept in
  step by triggers. A phrase query finds every row containing the term, case folded at least as
  widely as SQLite's ASCII-only `LIKE`, so its rows are a superset; the caller re-applies the
  exact `icontains` to them. The table and triggers are (re)made after every `migrate`
  (`ensure_sqlite_indexes`): rebuilding a table in a later migration drops its triggers.

A term shorter than three characters has no trigram; such a search falls back to the scan
(`candidates` returns None), as does an SQLite without FTS5 or its trigram tokenizer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger("openmsp.core")
MIN_TRIGRAM = 3


@dataclass(frozen=True)
class Indexed:
    """A table whose text columns are searched by substring."""

    table: str
    columns: tuple[str, ...]

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"


def _sqlite_trigram_ok(connection: BaseDatabaseWrapper) -> bool:
    cached = getattr(connection, "_openmsp_trigram", None)
    if cached is None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE VIRTUAL TABLE temp._openmsp_trigram_probe USING fts5(x, tokenize='trigram')"
                )
                cursor.execute("DROP TABLE temp._openmsp_trigram_probe")
            cached = True
        except Exception:
            log.warning("SQLite has no FTS5 trigram tokenizer; text search scans instead")
            cached = False
        connection._openmsp_trigram = cached  # type: ignore[attr-defined]
    return bool(cached)


def _existing(cursor: Any, kind: str, name: str) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = %s AND name = %s", [kind, name])
    return cursor.fetchone() is not None


def ensure_sqlite_indexes(connection: BaseDatabaseWrapper, specs: list[Indexed]) -> None:
    """Create what is missing (FTS table, the three triggers) and, if anything was, rebuild the
    index from the table: idempotent, cheap when all is in place."""
    if connection.vendor != "sqlite" or not _sqlite_trigram_ok(connection):
        return
    with connection.cursor() as cursor:
        for spec in specs:
            if not _existing(cursor, "table", spec.table):
                continue
            made = False
            cols = ", ".join(spec.columns)
            old = ", ".join(f"old.{c}" for c in spec.columns)
            new = ", ".join(f"new.{c}" for c in spec.columns)
            # Names from our own Indexed specs, never from input.
            delete = f"INSERT INTO {spec.fts}({spec.fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"  # noqa: S608
            insert = f"INSERT INTO {spec.fts}(rowid, {cols}) VALUES (new.id, {new});"  # noqa: S608
            statements = {
                ("table", spec.fts): f"CREATE VIRTUAL TABLE {spec.fts} USING fts5({cols},"
                f" content='{spec.table}', content_rowid='id', tokenize='trigram')",
                ("trigger", f"{spec.fts}_ai"): f"CREATE TRIGGER {spec.fts}_ai AFTER INSERT ON"
                f" {spec.table} BEGIN {insert} END",
                ("trigger", f"{spec.fts}_ad"): f"CREATE TRIGGER {spec.fts}_ad AFTER DELETE ON"
                f" {spec.table} BEGIN {delete} END",
                ("trigger", f"{spec.fts}_au"): f"CREATE TRIGGER {spec.fts}_au AFTER UPDATE OF"
                f" {cols} ON {spec.table} BEGIN {delete} {insert} END",
            }
            for (kind, name), sql in statements.items():
                if not _existing(cursor, kind, name):
                    cursor.execute(sql)
                    made = True
            if made:
                cursor.execute(f"INSERT INTO {spec.fts}({spec.fts}) VALUES ('rebuild')")  # noqa: S608


def postgres_indexes(specs: list[Indexed]) -> tuple[list[str], list[str]]:
    """(forward, reverse) SQL: the extension and a trigram GIN index per column."""
    forward = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    reverse = []
    for spec in specs:
        for column in spec.columns:
            name = f"{spec.table}_{column}_trgm"
            forward.append(
                f"CREATE INDEX IF NOT EXISTS {name} ON {spec.table}"
                f" USING gin (UPPER({column}) gin_trgm_ops)"
            )
            reverse.append(f"DROP INDEX IF EXISTS {name}")
    return forward, reverse


def phrase_query(terms: list[str]) -> str | None:
    """An FTS5 query requiring every term (each ≥ 3 characters) as a phrase; None if none is."""
    usable = [t for t in terms if len(t) >= MIN_TRIGRAM]
    if not usable:
        return None
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in usable)


def candidates(
    connection: BaseDatabaseWrapper, spec: Indexed, terms: list[str]
) -> tuple[str, list[str]] | None:
    """SQL selecting the ids of `spec.table` rows that may contain every term (a superset of
    the exact matches), or None where the caller's exact predicate must scan on its own."""
    if connection.vendor != "sqlite" or not _sqlite_trigram_ok(connection):
        return None
    query = phrase_query(terms)
    if query is None:
        return None
    return f"SELECT rowid FROM {spec.fts} WHERE {spec.fts} MATCH %s", [query]  # noqa: S608
