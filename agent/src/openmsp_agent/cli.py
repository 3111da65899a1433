"""Command line: run, enroll, install, status, collect."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from openmsp_agent import __version__
from openmsp_agent.config import (
    DEFAULT_CONFIG_FILE,
    AgentConfig,
    ConfigError,
    Credentials,
    build_config,
    ensure_state_dir,
    load_config_file,
    machine_id,
)
from openmsp_agent.enroll import EnrollError, enroll
from openmsp_agent.timing import Backoff

log = logging.getLogger("openmsp_agent")

TOKEN_ENV = "OPENMSP_AGENT_TOKEN"  # noqa: S105 - the variable's name, not a secret


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args.log_level)
    try:
        result: int = args.handler(args)
        return result
    except (ConfigError, EnrollError) as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openmsp-agent", description="OpenMSP host agent.")
    parser.add_argument("--version", action="version", version=f"openmsp-agent {__version__}")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="enroll if needed, then run in the foreground")
    _connection_args(run)
    _token_args(run, required=False)
    run.set_defaults(handler=_run)

    enroll_cmd = commands.add_parser("enroll", help="enroll (or re-enroll) this host, then exit")
    _connection_args(enroll_cmd)
    _token_args(enroll_cmd, required=True)
    enroll_cmd.set_defaults(handler=_enroll)

    install = commands.add_parser(
        "install", help="as root: enroll, write config, install the systemd unit"
    )
    install.add_argument("--server", required=True, help="https://openmsp.example.com")
    install.add_argument(
        "--ca-bundle", help="PEM file of the CA that signed the server's certificate"
    )
    _token_args(install, required=True)
    install.set_defaults(handler=_install)

    status = commands.add_parser("status", help="credentials, outbox depth, last successful send")
    status.add_argument("--config", help=f"config file (default {DEFAULT_CONFIG_FILE} if present)")
    status.add_argument("--state-dir")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_status)

    collect = commands.add_parser(
        "collect", help="print one metrics sample and an inventory snapshot"
    )
    collect.add_argument("--once", action="store_true", required=True, help="collect once and exit")
    collect.set_defaults(handler=_collect)
    return parser


def _connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=f"config file (default {DEFAULT_CONFIG_FILE} if present)")
    parser.add_argument("--server", help="server URL, https://openmsp.example.com")
    parser.add_argument("--state-dir", help="default /var/lib/openmsp-agent")
    parser.add_argument(
        "--ca-bundle", help="PEM file of the CA that signed the server's certificate"
    )
    parser.add_argument(
        "--insecure-skip-verify",
        action="store_true",
        help="do NOT verify the server's TLS certificate (tests only)",
    )


def _token_args(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--token", help=f"enrollment token (or ${TOKEN_ENV}, or --token-file)")
    parser.add_argument("--token-file", help="file holding the enrollment token")
    parser.set_defaults(token_required=required)


def _setup_logging(level: str) -> None:
    # Under systemd the journal stamps every line; in a terminal we add the time ourselves.
    fmt = "%(levelname)s %(name)s: %(message)s"
    if "JOURNAL_STREAM" not in os.environ:
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(level=getattr(logging, level), stream=sys.stderr, format=fmt)


def _config(args: argparse.Namespace) -> AgentConfig:
    explicit = getattr(args, "config", None)
    settings = load_config_file(Path(explicit or DEFAULT_CONFIG_FILE), required=bool(explicit))
    return build_config(
        settings,
        state_dir=getattr(args, "state_dir", None),
        server=getattr(args, "server", None),
        ca_bundle=getattr(args, "ca_bundle", None),
        insecure_skip_verify=getattr(args, "insecure_skip_verify", False),
    )


def _token(args: argparse.Namespace) -> str | None:
    if args.token:
        return str(args.token).strip()
    if args.token_file:
        try:
            return Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"--token-file {args.token_file}: {exc}") from exc
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    if args.token_required:
        raise ConfigError(
            f"An enrollment token is needed: pass --token, --token-file or set {TOKEN_ENV}."
        )
    return None


def _enroll_transport(config: AgentConfig, server: str) -> Any:
    from openmsp_agent.transport import HttpTransport, make_ssl_context

    context = make_ssl_context(config.ca_bundle, insecure_skip_verify=config.insecure_skip_verify)
    return HttpTransport(server, ssl_context=context)


def _enroll_once(config: AgentConfig, token: str) -> Credentials:
    if not config.server_url:
        raise ConfigError("The server URL is needed to enroll: pass --server https://….")
    ensure_state_dir(config.state_dir)
    transport = _enroll_transport(config, config.server_url)
    try:
        credentials = enroll(
            transport,
            server=config.server_url,
            token=token,
            machine_id=machine_id(config.state_dir),
        )
    finally:
        transport.close()
    credentials.save(config.credentials_path)
    log.info(
        "Enrolled as agent %s; credentials in %s.", credentials.agent_id, config.credentials_path
    )
    return credentials


def _enroll(args: argparse.Namespace) -> int:
    config = _config(args)
    token = _token(args)
    assert token is not None
    _enroll_once(config, token)
    return 0


def _run(args: argparse.Namespace) -> int:
    config = _config(args)
    ensure_state_dir(config.state_dir)
    stop = threading.Event()
    _on_signals(stop.set)
    credentials = Credentials.load(config.credentials_path)
    if credentials is None:
        token = _token(args)
        if token is None:
            raise ConfigError(
                f"Not enrolled yet ({config.credentials_path} is missing): pass --token to enroll."
            )
        credentials = _enroll_until_done(config, token, stop)
        if credentials is None:
            return 0
    from openmsp_agent.runner import Agent

    agent = Agent(config, credentials)
    _on_signals(agent.stop)
    if stop.is_set():  # a signal arrived while starting up: run() then just closes everything
        agent.stop()
    agent.run()
    return 0


def _enroll_until_done(
    config: AgentConfig, token: str, stop: threading.Event
) -> Credentials | None:
    """Enroll, retrying while the server is unreachable; None when stopped meanwhile."""
    backoff = Backoff()
    while not stop.is_set():
        try:
            return _enroll_once(config, token)
        except EnrollError as exc:
            if not exc.retryable:
                raise
            delay = backoff.next_delay()
            log.warning("%s; retrying in %.0f s.", exc, delay)
            stop.wait(delay)
    return None


def _on_signals(callback: Any) -> None:
    def handler(signum: int, _frame: Any) -> None:
        log.info("Received %s.", signal.Signals(signum).name)
        callback()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _install(args: argparse.Namespace) -> int:
    from openmsp_agent.config import normalize_server_url
    from openmsp_agent.install import install

    if os.geteuid() != 0:
        raise ConfigError("`openmsp-agent install` must run as root (use sudo).")
    server = normalize_server_url(args.server)
    assert server is not None
    ca_bundle = Path(args.ca_bundle) if args.ca_bundle else None
    config = AgentConfig(server_url=server, ca_bundle=ca_bundle)
    token = _token(args)
    assert token is not None
    transport = _enroll_transport(config, server)
    try:
        install(transport, server=server, token=token, ca_bundle=ca_bundle)
    finally:
        transport.close()
    return 0


def _status(args: argparse.Namespace) -> int:
    from openmsp_agent.status import read_status, render

    status = read_status(_config(args))
    print(json.dumps(status, indent=2) if args.json else render(status))
    return 0 if status["enrolled"] else 1


def _collect(args: argparse.Namespace) -> int:
    from openmsp_agent.collectors import current_platform
    from openmsp_agent.collectors.inventory import collect_snapshot
    from openmsp_agent.collectors.metrics import AgentHealth, MetricsCollector
    from openmsp_agent.snapshot import snapshot_hash

    platform = current_platform()
    collector = MetricsCollector(platform, AgentHealth())
    collector.sample()
    time.sleep(1.0)  # rates need two readings
    samples = collector.sample()
    snapshot = collect_snapshot(platform)
    output = {
        "samples": samples,
        "inventory": {"hash": snapshot_hash(snapshot), "snapshot": snapshot},
    }
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0
