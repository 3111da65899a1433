"""`openmsp encryption_key generate` prints a new key; `rotate` re-encrypts every stored secret
with OPENMSP_SECRET_KEY_ENCRYPTION (after the old key moved to OPENMSP_SECRET_KEY_ENCRYPTION_OLD)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = "Generate a key for stored secrets, or re-encrypt them all with the current key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["generate", "rotate"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self.stdout.write(Fernet.generate_key().decode())
            return
        count = rotate_all()
        self.stdout.write(f"{count} stored secrets re-encrypted with the current key.")


@transaction.atomic
def rotate_all() -> int:
    from openmsp.monitoring.models import Check
    from openmsp.notifications.models import Channel

    # Read decrypts with whichever key fits; the save encrypts with the current (first) key.
    count = 0
    for channel in Channel.objects.exclude(secret="").select_for_update().only("secret"):
        channel.save(update_fields=["secret"])
        count += 1
    # SNMP communities and v3 keys; HTTP checks' header values.
    secret_kinds = ["snmp", "http"]
    for check in Check.objects.filter(kind__in=secret_kinds).select_for_update().only("settings"):
        check.save(update_fields=["settings"])
        count += 1
    return count
