"""`openmsp web`: the HTTP server (gunicorn with uvicorn workers), for separate web processes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from openmsp.core.env import env_int


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from openmsp.asgi import application

        return application


class Command(BaseCommand):
    help = "Serve HTTP (UI, REST API, agent API) with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=env_int("OPENMSP_WEB_WORKERS", 2, minimum=1)
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        _Gunicorn(
            {
                "bind": f"{opts['host']}:{opts['port']}",
                "workers": opts["workers"],
                # ASGI, so that agents' long polls for commands wait without holding a thread
                # each (docs/adr/0003); ordinary views still run in Django's thread pool.
                "worker_class": "uvicorn_worker.UvicornWorker",
                "accesslog": "-",
                "errorlog": "-",
                "timeout": 60,
                "graceful_timeout": 20,
                "proc_name": "openmsp-web",
                # Several web processes run side by side when scaling out; none needs gunicorn's
                # control socket (one fixed path per user).
                "control_socket_disable": True,
            }
        ).run()
