"""`openmsp serve`: migrate, then run web + worker + scheduler + poller (and the mail listener when
OPENMSP_MAIL_LISTENER is set) as one supervised group.

A child that dies is restarted (with a growing pause if it keeps dying); Ctrl-C or SIGTERM stops all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the whole platform on one node: web, worker, scheduler and poller."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument(
            "--local-agent",
            metavar="CLIENT_CODE",
            help="also run openmsp-agent on this machine, enrolled as a host of that client",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        children = child_commands(opts["host"], opts["port"])
        if opts["local_agent"]:
            children["agent"] = local_agent_command(opts["local_agent"], opts["host"], opts["port"])
        self.stdout.write(
            f"OpenMSP on http://{opts['host']}:{opts['port']}  (data: {settings.DATA_DIR}, "
            f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        Supervisor(children, self.stdout.write).run()


def child_commands(host: str, port: int) -> dict[str, list[str]]:
    base = [sys.executable, "-m", "openmsp.cli"]
    children = {
        "web": [*base, "web", "--host", host, "--port", str(port)],
        "worker": [*base, "worker", "--queue-name", "*", "--no-reload", "-v", "1"],
        "scheduler": [*base, "scheduler"],
        "poller": [*base, "poller"],
    }
    if settings.OPENMSP_MAIL_LISTENER:  # the desk's SMTP/LMTP listener, when configured
        children["mail-listener"] = [*base, "mail-listener"]
    return children


def local_agent_command(client_code: str, host: str, port: int) -> list[str]:
    """The agent for this very machine; enrolled once with a single-use token, then by its
    stored credentials (DATA_DIR/local-agent)."""
    from openmsp.agent_api.actions import create_enrollment_token
    from openmsp.core.actor import Actor
    from openmsp.tenants.models import Client

    state = settings.DATA_DIR / "local-agent"
    state.mkdir(mode=0o700, exist_ok=True)
    token_file = state / "enrollment-token"
    if not (state / "credentials.json").exists() and not token_file.exists():
        client = Client.objects.filter(code=client_code).first()
        if client is None:
            raise CommandError(f"--local-agent: no client with the code {client_code!r}.")
        _token, text = create_enrollment_token(
            actor=Actor.system("serve"),
            client=client,
            name="local agent (openmsp serve)",
            max_uses=1,
        )
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
    server_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    return [
        sys.executable, "-m", "openmsp_agent", "run",
        "--server", f"http://{server_host}:{port}",
        "--state-dir", str(state),
        "--token-file", str(token_file),
    ]  # fmt: skip


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
