"""docs/configuration.md lists every environment variable the code and scripts read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _variables_in_code() -> set[str]:
    names: set[str] = set()
    files = [*ROOT.joinpath("openmsp").rglob("*.py"), *ROOT.joinpath("scripts").iterdir()]
    for path in files:
        if path.is_file() and "tests" not in path.parts:
            names |= set(re.findall(r"OPENMSP_[A-Z0-9_]*[A-Z0-9]", path.read_text(errors="ignore")))
    return names


def test_every_environment_variable_is_documented() -> None:
    documented = set(
        re.findall(r"`(OPENMSP_[A-Z0-9_]+)`", (ROOT / "docs/configuration.md").read_text())
    )
    missing = sorted(_variables_in_code() - documented - {"OPENMSP_SMTP"})
    assert not missing, f"add these to docs/configuration.md: {missing}"
