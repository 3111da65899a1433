"""Test helpers shared by the page tests of every app (imported by test modules, not conftest)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

_compiled: dict[str, Path] = {}


@pytest.fixture
def compiled_translations(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Render this test's pages with the compiled Korean catalogue.

    The .po files are compiled once per session into a temporary LOCALE_PATHS (.mo files are
    build output, not committed). Overriding the setting only for the test keeps the catalogue
    from leaking into other tests: Django drops its translation caches when LOCALE_PATHS changes.
    """
    from openmsp.web.management.commands.compiletranslations import LOCALE_DIR, compile_all

    if "dir" not in _compiled:
        target = tmp_path_factory.mktemp("locale")
        shutil.copytree(
            LOCALE_DIR, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.mo")
        )
        compile_all([target])
        _compiled["dir"] = target
    settings.LOCALE_PATHS = [_compiled["dir"]]


def speaking(user: Any, language: str) -> Any:
    """Set the language a user's pages render in (the session middleware applies it)."""
    type(user).objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


def hx(**extra: str) -> dict[str, str]:
    """Headers of an htmx request (the Django test client takes them as `headers=`)."""
    return {"HX-Request": "true", **extra}
