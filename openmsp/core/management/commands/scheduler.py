from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openmsp.core import scheduler


class Command(BaseCommand):
    help = "Run the scheduler: enqueue periodic jobs when due (several may run; each run is claimed once)."

    def handle(self, *args: Any, **opts: Any) -> None:
        scheduler.run_forever()
