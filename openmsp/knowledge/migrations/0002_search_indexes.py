"""Trigram indexes for article search on PostgreSQL (SQLite's FTS5 table is made after migrate:
openmsp.knowledge.apps)."""

from typing import Any

from django.db import migrations

from openmsp.core import textsearch

SEARCHED = [textsearch.Indexed("knowledge_article", ("title", "body"))]


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in textsearch.postgres_indexes(SEARCHED)[0]:
            schema_editor.execute(sql)


def reverse(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in textsearch.postgres_indexes(SEARCHED)[1]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, reverse)]
