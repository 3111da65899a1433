"""One UPDATE for many rows with different values: `WITH v AS (VALUES …) UPDATE … FROM v`.

The poller writes a new deadline (claims) or a new state (results) for up to a few hundred checks
at a time. Django's `bulk_update` builds a CASE per column per row, which costs more CPU in Python
than the database spends on the whole statement; this builds the statement directly. Both
PostgreSQL and SQLite (3.33+) accept `UPDATE … FROM`; PostgreSQL needs the VALUES typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

# column -> its PostgreSQL type, for the casts of the VALUES list
PG_TYPES = {
    "id": "bigint",
    "timestamptz": "timestamptz",
    "float": "double precision",
    "text": "text",
}


def _adapt(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def update_from_values(
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    *,
    constant: dict[str, Any] | None = None,
    where: str = "",
    where_params: Sequence[Any] = (),
) -> int:
    """Set `columns` (name, kind) of *table* from *rows* (id first, then one value per column),
    plus the `constant` columns; `where` is extra SQL on the target row `t`. Returns rows hit."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    names = ["id", *(name for name, _kind in columns)]
    kinds = ["id", *(kind for _name, kind in columns)]
    cell = [f"CAST(%s AS {PG_TYPES[k]})" if pg else "%s" for k in kinds]
    values = ", ".join("(" + ", ".join(cell) + ")" for _ in rows)
    params: list[Any] = [_adapt(v) for row in rows for v in row]
    sets = [f"{quote(n)} = v.{quote(n)}" for n, _kind in columns]
    for name in constant or {}:
        sets.append(f"{quote(name)} = %s")
    params_const = [_adapt(v) for v in (constant or {}).values()]
    # A CTE names the VALUES columns on both databases (SQLite has no `AS v(a, b)`).
    sql = (
        f"WITH v({', '.join(quote(n) for n in names)}) AS (VALUES {values}) "  # noqa: S608 - names are ours, values are parameters
        f"UPDATE {quote(table)} AS t SET {', '.join(sets)} FROM v "
        f"WHERE t.{quote('id')} = v.{quote('id')}" + (f" AND ({where})" if where else "")
    )
    with connection.cursor() as cursor:
        # Placeholders in text order: the VALUES list, the SET constants, the extra WHERE.
        cursor.execute(sql, [*params, *params_const, *where_params])
        return int(cursor.rowcount)
