"""Trigram indexes for ticket search on PostgreSQL (SQLite's FTS5 tables are made after migrate:
openmsp.servicedesk.apps) and the indexes the queue's orderings walk."""

from typing import Any

from django.db import migrations, models

from openmsp.core import textsearch

SEARCHED = [
    textsearch.Indexed("servicedesk_ticket", ("subject", "number")),
    textsearch.Indexed("servicedesk_ticketentry", ("body",)),
]


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
        ("servicedesk", "0006_mail_watchers_and_listener"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["created_at", "id"], name="ticket_created"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["resolution_due", "id"], name="ticket_resolution_order"),
        ),
        migrations.RunPython(forward, reverse),
    ]
