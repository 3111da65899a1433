from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KnowledgeConfig(AppConfig):
    name = "openmsp.knowledge"
    label = "knowledge"

    def ready(self) -> None:
        post_migrate.connect(_search_index, sender=self)


def _search_index(using: str = "default", **kwargs: Any) -> None:
    """SQLite: the FTS5 table behind article search (PostgreSQL's indexes: migration 0002)."""
    from django.db import connections

    from openmsp.core import textsearch
    from openmsp.knowledge.queries import ARTICLE_TEXT

    textsearch.ensure_sqlite_indexes(connections[using], [ARTICLE_TEXT])
