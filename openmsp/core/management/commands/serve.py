"""`openmsp serve`: migrate, then run web + worker + scheduler as one supervised process group.

A child that dies is restarted (with a growing pause if it keeps dying); Ctrl-C or SIGTERM stops all.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the whole platform on one node: web, worker and scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        base = [sys.executable, "-m", "openmsp.cli"]
        children = {
            "web": [*base, "web", "--host", opts["host"], "--port", str(opts["port"])],
            "worker": [*base, "worker", "--queue-name", "*", "--no-reload", "-v", "1"],
            "scheduler": [*base, "scheduler"],
        }
        self.stdout.write(
            f"OpenMSP on http://{opts['host']}:{opts['port']}  (data: {settings.DATA_DIR}, "
            f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        Supervisor(children, self.stdout.write).run()


class Supervisor:
    def __init__(self, commands: dict[str, list[str]], say: Any) -> None:
        self.commands = commands
        self.say = say
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = dict.fromkeys(commands, 0)
        self.stopping = False

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        for name in self.commands:
            self._start(name)
        while not self.stopping:
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not self.stopping:
                    self.restarts[name] += 1
                    pause = min(30, 2 ** min(self.restarts[name], 5))
                    self.say(f"{name} exited with {proc.returncode}; restarting in {pause}s")
                    time.sleep(pause)
                    self._start(name)
            time.sleep(0.5)
        self._shutdown()

    def _start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.commands[name])  # noqa: S603

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def _shutdown(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
