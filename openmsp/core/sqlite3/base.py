"""Django's SQLite backend, taught that a flush must lift the audit log's append-only triggers.

`manage.py flush` and the test runner's reset between transactional tests delete every row. On
PostgreSQL they use TRUNCATE, which row triggers do not see; SQLite has no TRUNCATE, so the flush
drops the triggers, deletes, and puts them back.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base, operations

from openmsp.core import triggers


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements: list[str] = super().sql_flush(style, tables, **kwargs)
        if "core_auditrecord" not in tables:
            return statements
        recreate = [triggers.SQLITE_NO_UPDATE.strip(), triggers.SQLITE_NO_DELETE.strip()]
        return triggers.SQLITE_DROP + statements + recreate


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
