"""Where the agent keeps its state, what it talks to, and how often.

Precedence for every setting: command-line flag > config file (``/etc/openmsp-agent/agent.json``) >
what the server handed out at enrollment (``credentials.json``) > built-in default.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path("/var/lib/openmsp-agent")
DEFAULT_CONFIG_FILE = Path("/etc/openmsp-agent/agent.json")
DEFAULT_OUTBOX_MAX_BYTES = 200 * 1024 * 1024


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Intervals:
    metrics: float = 60.0
    inventory: float = 21600.0
    checkin: float = 60.0
    command_poll: float = 25.0

    @classmethod
    def from_mapping(cls, data: Any, *, base: Intervals | None = None, source: str) -> Intervals:
        if data is None:
            return base or cls()
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: 'intervals' must be an object of seconds.")
        values: dict[str, float] = {}
        for name, value in data.items():
            if name not in cls.__dataclass_fields__:
                continue  # a newer server may hand out intervals this agent does not know yet
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(
                    f"{source}: intervals.{name} must be a positive number of seconds."
                )
            values[name] = float(value)
        return replace(base or cls(), **values)

    def as_dict(self) -> dict[str, float]:
        return {
            "metrics": self.metrics,
            "inventory": self.inventory,
            "checkin": self.checkin,
            "command_poll": self.command_poll,
        }


@dataclass(frozen=True)
class Credentials:
    server: str
    agent_id: str
    agent_secret: str
    command_public_key: str
    intervals: Intervals = field(default_factory=Intervals)
    jitter_seconds: float = 0.0

    @classmethod
    def load(cls, path: Path) -> Credentials | None:
        """The stored credentials, or None when the agent has not enrolled yet."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path} is unreadable ({exc}); enroll again with a new token."
            ) from exc
        try:
            return cls(
                server=str(data["server"]),
                agent_id=str(data["agent_id"]),
                agent_secret=str(data["agent_secret"]),
                command_public_key=str(data["command_public_key"]),
                intervals=Intervals.from_mapping(data.get("intervals"), source=str(path)),
                jitter_seconds=float(data.get("jitter_seconds") or 0.0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path} lacks {exc}; enroll again with a new token.") from exc

    def save(self, path: Path) -> None:
        data = {
            "server": self.server,
            "agent_id": self.agent_id,
            "agent_secret": self.agent_secret,
            "command_public_key": self.command_public_key,
            "intervals": self.intervals.as_dict(),
            "jitter_seconds": self.jitter_seconds,
        }
        write_atomic(path, json.dumps(data, indent=2).encode() + b"\n", mode=0o600)


@dataclass(frozen=True)
class AgentConfig:
    state_dir: Path = DEFAULT_STATE_DIR
    server_url: str | None = None
    ca_bundle: Path | None = None
    insecure_skip_verify: bool = False
    intervals: dict[str, float] = field(default_factory=dict)  # explicit overrides only
    outbox_max_bytes: int = DEFAULT_OUTBOX_MAX_BYTES

    @property
    def credentials_path(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def outbox_path(self) -> Path:
        return self.state_dir / "outbox.sqlite3"

    @property
    def inventory_path(self) -> Path:
        return self.state_dir / "inventory.json"

    def effective_intervals(self, credentials: Credentials | None) -> Intervals:
        base = credentials.intervals if credentials else Intervals()
        return Intervals.from_mapping(self.intervals or None, base=base, source="configuration")


def load_config_file(path: Path, *, required: bool) -> dict[str, Any]:
    """The config file's settings; {} when it does not exist and was not asked for explicitly."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise ConfigError(f"Config file {path} does not exist.") from None
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Config file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path} must hold a JSON object.")
    known = {
        "server",
        "state_dir",
        "ca_bundle",
        "insecure_skip_verify",
        "intervals",
        "outbox_max_mb",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Config file {path}: unknown setting(s) {', '.join(unknown)}.")
    return data


def build_config(
    file_settings: dict[str, Any],
    *,
    state_dir: str | None = None,
    server: str | None = None,
    ca_bundle: str | None = None,
    insecure_skip_verify: bool = False,
) -> AgentConfig:
    """Merge command-line values over the config file's."""
    max_mb = file_settings.get("outbox_max_mb", DEFAULT_OUTBOX_MAX_BYTES // (1024 * 1024))
    if isinstance(max_mb, bool) or not isinstance(max_mb, int) or max_mb < 1:
        raise ConfigError("outbox_max_mb must be a whole number of MiB, at least 1.")
    intervals = Intervals.from_mapping(file_settings.get("intervals"), source="config file")
    overrides = {
        name: value
        for name, value in intervals.as_dict().items()
        if name in (file_settings.get("intervals") or {})
    }
    chosen_state = state_dir or file_settings.get("state_dir") or DEFAULT_STATE_DIR
    chosen_ca = ca_bundle or file_settings.get("ca_bundle")
    return AgentConfig(
        state_dir=Path(chosen_state),
        server_url=normalize_server_url(server or file_settings.get("server")),
        ca_bundle=Path(chosen_ca) if chosen_ca else None,
        insecure_skip_verify=insecure_skip_verify
        or bool(file_settings.get("insecure_skip_verify")),
        intervals=overrides,
        outbox_max_bytes=max_mb * 1024 * 1024,
    )


def normalize_server_url(url: str | None) -> str | None:
    if url is None:
        return None
    url = url.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"Server URL {url!r} must start with https:// (or http:// for tests).")
    return url


def ensure_state_dir(path: Path) -> None:
    """Create the state dir readable by its owner only: it holds the agent's secret."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(PermissionError):
        path.chmod(0o700)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write a file so a crash leaves either the old or the new content, never a torn file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # O_CREAT's mode is filtered by the umask; be exact
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def machine_id(state_dir: Path) -> str:
    """systemd's machine id when the host has one, else a UUID generated once and kept."""
    for candidate in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        try:
            value = candidate.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if value:
            return value
    stored = state_dir / "machine_id"
    try:
        return stored.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = str(uuid.uuid4())
        write_atomic(stored, value.encode() + b"\n", mode=0o600)
        return value
