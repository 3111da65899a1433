"""A scaled-out OpenMSP on one machine, for fault tests: a private PostgreSQL, Nx `openmsp web`
behind an unprivileged nginx (deploy/nginx/openmsp.conf, the file docs/deployment.md ships), Nx
worker, Nx scheduler and Nx poller, each its own process group that can be killed with SIGKILL
and started again.

    with PrivatePostgres() as pg, Cluster(pg, tmp, extra_env) as cluster:
        cluster.migrate()
        cluster.start()              # every process; waits until nginx answers
        cluster.kill("worker-1")     # kill -9 of that process and its children
        cluster.start_one("worker-1")
        pg.restart()                 # an immediate shutdown (as a crash), then a start

The PostgreSQL instance is the test's own (initdb in a temporary directory, its own port), so
restarting it disturbs nobody else on the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from tests.e2e import ROOT, free_port, wait_for

PG_BIN = Path(os.environ.get("OPENMSP_PG_BIN_DIR") or "/usr/lib/postgresql/15/bin")
NGINX = Path("/usr/sbin/nginx")
NGINX_CONF = ROOT / "deploy" / "nginx" / "openmsp.conf"


def missing_peers() -> str | None:
    """Why the cluster cannot run here (None: it can)."""
    if not os.environ.get("OPENMSP_DATABASE_URL", "").startswith("postgres"):
        return "scale-out runs on PostgreSQL only (the suite runs on SQLite)"
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL server binaries in {PG_BIN} (OPENMSP_PG_BIN_DIR)"
    if not NGINX.exists():
        return "nginx is not installed (scripts/ensure-services installs it)"
    return None


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PrivatePostgres:
    """initdb in a new temporary directory of its own (as root, the postgres user must reach
    it, which a test's 0700 tmp_path forbids); removed on exit."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="openmsp-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/openmsp"

    def __enter__(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\n"
                # a test instance: no flush to disk (an immediate shutdown still recovers from
                # the WAL in the page cache), room for every process's pool
                "fsync = off\nfull_page_writes = off\nmax_connections = 200\n"
                "shared_buffers = 64MB\n"
            )
        self.start()
        import psycopg

        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(b"CREATE DATABASE openmsp")
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop",
                  check=False)  # fmt: skip
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, *cmd: str, check: bool = True) -> None:
        done = subprocess.run(_as_postgres(list(cmd)), capture_output=True, text=True, check=False)
        if check and done.returncode:
            raise AssertionError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.directory / "server.log"), "-w", "-t", "30", "start")  # fmt: skip

    def restart(self) -> float:
        """Stop as a crash would (no checkpoint), start again; seconds it was unreachable."""
        began = time.monotonic()
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        self.start()
        return time.monotonic() - began


@dataclass
class Proc:
    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log: IO[bytes] | None = field(default=None, repr=False)


def nginx_config(template: str, *, listen: int, upstreams: list[int], prefix: Path) -> str:
    """The shipped load-balancer config with this run's ports, inside a top-level config that
    keeps every file nginx writes under *prefix* (no root, no /var)."""
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;\n" for port in upstreams
    )
    body = re.sub(r"(?m)^\s*server \d+\.\d+\.\d+\.\d+:\d+[^;]*;\n", "", template)
    body = body.replace("upstream openmsp {\n", "upstream openmsp {\n" + servers, 1)
    body = re.sub(r"listen [^;]+;", f"listen 127.0.0.1:{listen};", body)
    body = re.sub(r"(?m)^\s*server_name [^;]+;\n", "", body)
    temp = "".join(
        f"    {kind}_temp_path {prefix}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        "daemon off;\nevents { worker_connections 1024; }\n"
        f"http {{\n    access_log off;\n{temp}{body}\n}}\n"
    )


class Cluster:
    def __init__(
        self, pg: PrivatePostgres, directory: Path, env: dict[str, str], *, each: int = 2
    ) -> None:
        self.pg = pg
        self.directory = directory
        self.data_dir = directory / "data"
        self.logs = directory / "logs"
        self.web_ports = [free_port() for _ in range(each)]
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        unset = {"OPENMSP_DATABASE_URL", "OPENMSP_DB_POOL_SIZE", "OPENMSP_DATA_DIR"}
        self.env = {k: v for k, v in os.environ.items() if k not in unset}
        self.env.update(
            OPENMSP_DATABASE_URL=pg.url, OPENMSP_DATA_DIR=str(self.data_dir),
            OPENMSP_DB_POOL_SIZE="4", OPENMSP_WEB_WORKERS="1", **env,
        )  # fmt: skip
        base = [sys.executable, "-m", "openmsp.cli"]
        self.procs: dict[str, Proc] = {}
        for i in range(1, each + 1):
            port = str(self.web_ports[i - 1])
            self._add(f"web-{i}", [*base, "web", "--port", port])
            self._add(f"worker-{i}", [*base, "worker", "--queue-name", "*", "--interval", "0.2",
                                      "--no-startup-delay", "-v", "1"])  # fmt: skip
            self._add(f"scheduler-{i}", [*base, "scheduler"])
            self._add(f"poller-{i}", [*base, "poller"])
        self._add("nginx", [str(NGINX), "-p", str(directory / "nginx"), "-e",
                            str(directory / "nginx" / "error.log"), "-c",
                            str(directory / "nginx" / "nginx.conf")])  # fmt: skip

    def _add(self, name: str, argv: list[str]) -> None:
        self.procs[name] = Proc(name, argv)

    def __enter__(self) -> Cluster:
        for d in (self.data_dir, self.logs, self.directory / "nginx"):
            d.mkdir(parents=True, exist_ok=True)
        prefix = self.directory / "nginx"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / kind).mkdir(exist_ok=True)
            (prefix / kind).chmod(0o777)  # run as root, nginx's workers are `nobody`
        config = nginx_config(
            NGINX_CONF.read_text(), listen=self.port, upstreams=self.web_ports, prefix=prefix
        )
        (prefix / "nginx.conf").write_text(config)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.procs:
            self.kill(name)
        for proc in self.procs.values():
            if proc.log is not None:
                proc.log.close()

    # --- running ---------------------------------------------------------------------------

    def openmsp(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "openmsp.cli", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise AssertionError(f"openmsp {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def python(self, code: str) -> str:
        """Run *code* with Django set up against the cluster's database; its standard output."""
        setup = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        setup += "'openmsp.settings'); django.setup()\n"
        done = subprocess.run(
            [sys.executable, "-c", setup + code],
            env=self.env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise AssertionError(f"cluster python failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def migrate(self) -> None:
        self.openmsp("migrate", "--no-input", "-v", "0")

    def start(self, timeout: float = 90) -> None:
        """Every process (after `migrate`); returns when each web and nginx answer /healthz."""
        for name in self.procs:
            self.start_one(name, wait=False)
        for name in self.procs:
            if name.startswith("web-"):
                self.wait_web(name, timeout)
        wait_for(lambda: healthy(self.base), timeout, "nginx in front of the web processes")

    def start_one(self, name: str, *, wait: bool = True) -> None:
        proc = self.procs[name]
        assert proc.popen is None or proc.popen.poll() is not None, f"{name} is running"
        if proc.log is None:
            proc.log = (self.logs / f"{name}.log").open("ab")
        proc.popen = subprocess.Popen(
            proc.argv, env=self.env, cwd=ROOT, start_new_session=True,
            stdout=proc.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        proc.starts += 1
        if wait and name.startswith("web-"):
            self.wait_web(name, 60)

    def wait_web(self, name: str, timeout: float) -> None:
        base = f"http://127.0.0.1:{self.web_ports[int(name.split('-')[1]) - 1]}"
        wait_for(lambda: healthy(base), timeout, f"{name} to answer on {base}")

    def kill(self, name: str) -> None:
        """kill -9 of the process and every child of it (gunicorn's workers), as a crash."""
        popen = self.procs[name].popen
        if popen is not None and popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=10)

    def pid(self, name: str) -> int:
        popen = self.procs[name].popen
        assert popen is not None
        return popen.pid

    def running(self, name: str) -> bool:
        popen = self.procs[name].popen
        return popen is not None and popen.poll() is None

    def usage(self) -> str:
        """CPU seconds (since its last start) and resident memory of each running process with
        its children (gunicorn's workers, nginx's), and of PostgreSQL: the sizing figures."""
        import psutil

        def of(root: psutil.Process) -> tuple[float, float]:
            procs = [root, *root.children(recursive=True)]
            cpu = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
            return cpu, sum(p.memory_info().rss for p in procs) / 2**20

        figures = {}
        for name in self.procs:
            if self.running(name):
                with contextlib.suppress(psutil.Error):
                    figures[name] = of(psutil.Process(self.pid(name)))
        pid_file = self.pg.data / "postmaster.pid"
        with contextlib.suppress(OSError, psutil.Error, ValueError):
            figures["postgresql"] = of(psutil.Process(int(pid_file.read_text().split()[0])))
        return ", ".join(f"{n} {cpu:.1f} s / {rss:.0f} MiB" for n, (cpu, rss) in figures.items())

    def log_of(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def sql(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.pg.url, autocommit=True) as conn:
            cursor = conn.execute(query.encode(), params)
            return list(cursor) if cursor.description else []


def healthy(base: str) -> bool:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    return False
