"""`openmsp demo`: load the idempotent demo data and print how to sign in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from openmsp.core import demo
from openmsp.core.env import env_secret, load_or_create_secret


class Command(BaseCommand):
    help = "Create demo clients, contracts, calendars and users (safe to run again)."

    def handle(self, *args: Any, **opts: Any) -> None:
        password = env_secret("OPENMSP_DEMO_PASSWORD") or load_or_create_secret(
            settings.DATA_DIR / "demo-password"
        )
        created = demo.load(password)
        if created:
            self.stdout.write("Demo data created:\n  " + "\n  ".join(created))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            "Demo users (e.g. tech@msp.example, it@hanbit.example) sign in with the password in "
            f"{settings.DATA_DIR / 'demo-password'}"
        )
