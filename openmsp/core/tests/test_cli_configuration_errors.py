"""An operator who mistypes an environment variable gets one sentence naming it, not a traceback.

The audit retention variables are refused below Korea's PIPA minimums (access records 2 years,
permission changes 3 years), so no configuration can shorten the legal retention.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_openmsp(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENMSP_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update(OPENMSP_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "openmsp.cli", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "sentence"),
    [
        ("OPENMSP_AUDIT_RETENTION_DAYS", "365", "is below the minimum of 730"),
        ("OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS", "730", "is below the minimum of 1095"),
        ("OPENMSP_TIME_ZONE", "Mars/Olympus", "is not an IANA time zone"),
        ("OPENMSP_LANGUAGE", "fr", "is not one of: ko, en"),
        ("OPENMSP_DEBUG", "maybe", "is not a boolean"),
        ("OPENMSP_DATABASE_URL", "mysql://db/openmsp", "must start with postgresql://"),
    ],
)
def test_a_bad_variable_stops_the_command_with_a_sentence_naming_it(
    tmp_path: Path, variable: str, value: str, sentence: str
) -> None:
    result = run_openmsp(tmp_path, "check", **{variable: value})

    assert result.returncode == 2
    assert variable in result.stderr
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr


def test_pipa_minimums_are_the_defaults_and_longer_retention_is_accepted(tmp_path: Path) -> None:
    result = run_openmsp(
        tmp_path,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.OPENMSP_AUDIT_RETENTION_DAYS, s.OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS)",
    )
    longer = run_openmsp(
        tmp_path,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.OPENMSP_AUDIT_RETENTION_DAYS)",
        OPENMSP_AUDIT_RETENTION_DAYS="1825",
    )

    assert result.stdout.split() == ["730", "1095"], result.stderr
    assert longer.stdout.split() == ["1825"], longer.stderr
