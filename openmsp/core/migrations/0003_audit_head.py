from typing import Any

from django.db import migrations, models


def start_head_at_newest_record(apps: Any, schema_editor: Any) -> None:
    """An existing chain gets its head at its newest record, so verification covers it at once."""
    record = apps.get_model("core", "AuditRecord")
    head = apps.get_model("core", "AuditHead")
    newest = record.objects.order_by("-seq").values_list("seq", "hash").first()
    if newest is not None:
        head.objects.create(pk=1, last_seq=newest[0], last_hash=newest[1])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_append_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_seq", models.BigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(start_head_at_newest_record, migrations.RunPython.noop),
    ]
