"""Make the audit table append-only at the database level (see openmsp/core/triggers.py)."""

from typing import Any

from django.db import migrations

from openmsp.core import triggers


def install(apps: Any, schema_editor: Any) -> None:
    statements = {
        "postgresql": [triggers.POSTGRES_FUNCTION, triggers.POSTGRES_TRIGGER],
        "sqlite": [triggers.SQLITE_NO_UPDATE, triggers.SQLITE_NO_DELETE],
    }.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def uninstall(apps: Any, schema_editor: Any) -> None:
    statements = {"postgresql": triggers.POSTGRES_DROP, "sqlite": triggers.SQLITE_DROP}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
