"""Article search through the trigram indexes (openmsp.core.textsearch) gives what the plain
substring scan gave: every term in the title or body, Korean substrings inside words."""

from __future__ import annotations

from functools import reduce
from operator import and_
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q

from openmsp.core import textsearch
from openmsp.knowledge import queries, search
from openmsp.knowledge.models import Article

QUERIES = [
    "프린터", "린터가", "전원을", "vpn", "OVPN", "import hanbit", "password rotation",
    "self-service page", "프린터 전원", "vpn 프린터", "ab", "종이", "%", "x_y",
]  # fmt: skip


def _scan(query: str) -> list[int]:
    words = search.terms(query)
    qs = Article.objects.all()
    if words:
        qs = qs.filter(reduce(and_, [Q(title__icontains=w) | Q(body__icontains=w) for w in words]))
    return sorted(qs.values_list("pk", flat=True))


def test_indexed_article_search_finds_exactly_what_the_scan_found(library: Any, write: Any) -> None:
    write("x_y 설정", "밑줄이 든 이름")
    for q in QUERIES:
        found = queries.search_articles(Article.objects.all(), q)
        assert sorted(a.pk for a in found) == _scan(q), q
    found = queries.search_articles(Article.objects.all(), "린터가 전원을")
    assert [a.pk for a in found] == [library["public_ko"].pk]


def test_an_edited_article_is_found_by_its_new_words_only(library: Any, writer: Any) -> None:
    from openmsp.core.actor import Actor
    from openmsp.knowledge import actions

    article = library["public"]
    actions.update_article(
        actor=Actor(user=writer),
        article=article,
        changes={"body": "비밀번호 재설정 페이지를 여세요."},
    )
    assert [a.pk for a in queries.search_articles(Article.objects.all(), "재설정 페이지")] == [
        article.pk
    ]
    assert not queries.search_articles(Article.objects.all(), "self-service").exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_answers_article_search_from_the_trigram_indexes(library: Any) -> None:
    qs = queries.search_articles(Article.objects.all(), "프린터")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "knowledge_article_title_trgm" in plan
    assert "knowledge_article_body_trgm" in plan


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_narrows_article_search_with_fts5(library: Any) -> None:
    found = textsearch.candidates(connection, queries.ARTICLE_TEXT, ["프린터", "전원을"])
    assert found is not None
    with connection.cursor() as cursor:
        cursor.execute(*found)
        assert [r[0] for r in cursor.fetchall()] == [library["public_ko"].pk]
