from __future__ import annotations

import os
from pathlib import Path

import pytest

from openmsp_agent.config import (
    ConfigError,
    Credentials,
    Intervals,
    build_config,
    load_config_file,
    machine_id,
    write_atomic,
)


def test_credentials_are_written_atomically_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    old_umask = os.umask(0)
    try:
        Credentials("https://s", "id", "secret", "key", Intervals(metrics=30), 7).save(path)
    finally:
        os.umask(old_umask)

    assert path.stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    loaded = Credentials.load(path)
    assert loaded is not None
    assert (loaded.agent_secret, loaded.intervals.metrics, loaded.jitter_seconds) == (
        "secret",
        30,
        7,
    )


def test_an_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    write_atomic(path, b"a much longer first version")
    write_atomic(path, b"short")

    assert path.read_bytes() == b"short"


def test_missing_credentials_mean_not_enrolled(tmp_path: Path) -> None:
    assert Credentials.load(tmp_path / "credentials.json") is None


def test_corrupt_credentials_say_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("{not json")

    with pytest.raises(ConfigError, match="enroll again"):
        Credentials.load(path)


def test_command_line_values_win_over_the_config_file() -> None:
    config = build_config(
        {"server": "https://file.example", "state_dir": "/srv/agent", "intervals": {"metrics": 30}},
        server="https://flag.example/",
    )

    assert config.server_url == "https://flag.example"
    assert str(config.state_dir) == "/srv/agent"
    assert config.effective_intervals(None).metrics == 30
    assert config.effective_intervals(None).inventory == 21600


def test_server_intervals_apply_unless_the_config_file_overrides_them() -> None:
    creds = Credentials("https://s", "id", "secret", "key", Intervals(metrics=120, checkin=90))

    config = build_config({"intervals": {"checkin": 45}})

    effective = config.effective_intervals(creds)
    assert (effective.metrics, effective.checkin) == (120, 45)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"intervals": {"metrics": 0}}, "intervals.metrics must be a positive number"),
        ({"server": "ftp://x"}, "must start with https://"),
        ({"outbox_max_mb": "big"}, "outbox_max_mb must be a whole number"),
    ],
)
def test_bad_settings_fail_loudly_naming_the_setting(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(settings)


def test_unknown_settings_in_the_config_file_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    path.write_text('{"server": "https://x", "sever": "typo"}')

    with pytest.raises(ConfigError, match="unknown setting"):
        load_config_file(path, required=True)


def test_a_machine_id_is_generated_once_when_the_host_has_none(tmp_path: Path) -> None:
    first = machine_id(tmp_path)

    assert first == machine_id(tmp_path)
