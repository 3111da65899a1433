"""REST endpoints of the knowledge base under /api/v1/kb.

Client users read published public articles and their own client's; MSP staff read everything
they may see (internal ones and drafts too) and write. An article one may not see is a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    check_query_params,
    endpoint,
    fetch_ref,
    page,
    path_object,
)
from openmsp.core.errors import NotFound
from openmsp.knowledge import actions, queries
from openmsp.knowledge.models import Article, ArticleRevision, KbCategory
from openmsp.knowledge.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    ArticleQuery,
    ArticleSummary,
    CategoryIn,
    CategoryOut,
    RevisionOut,
    SuggestQuery,
)
from openmsp.tenants.queries import clients_visible_to

router = Router()
TAG = "knowledge base"
NAMES = {"client": "client_id", "category": "category_id", "translation_of": "translation_of_id"}

path_object("article_id", queries.get_article)


def _refs(request: HttpRequest, fields: dict[str, Any]) -> dict[str, Any]:
    actor = actor_from(request)
    if "client_id" in fields:
        fields["client"] = fetch_ref(
            clients_visible_to(actor), "client", "client_id", fields.pop("client_id")
        )
    if "category_id" in fields:
        fields["category"] = fetch_ref(
            queries.categories(), "category", "category_id", fields.pop("category_id")
        )
    if "translation_of_id" in fields:
        fields["translation_of"] = fetch_ref(
            queries.articles_visible_to(actor), "article", "translation_of_id",
            fields.pop("translation_of_id"),
        )  # fmt: skip
    return fields


@endpoint(router, "GET", "/kb/articles", "List articles", tag=TAG, ok={200: ArticlePage})
def list_articles(request: HttpRequest, query: Query[ArticleQuery]) -> dict[str, Any]:
    """Those you may read; `q` matches substrings of title and body (Korean too)."""
    qs = queries.articles_visible_to(actor_from(request))
    for name in ("language", "category_id", "client_id", "visibility", "status"):
        value = getattr(query, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    # Searching without an explicit `ordering` keeps the ranking (title matches first).
    return page(request, queries.search_articles(qs, query.q), query)


@endpoint(router, "POST", "/kb/articles", "Write an article", tag=TAG, ok={201: ArticleOut}, errors=(403, 409))  # fmt: skip
def create_article(request: HttpRequest, payload: ArticleIn) -> Status[Article]:
    fields = _refs(request, payload.model_dump())
    with api_field_names(NAMES):
        a = actions.create_article(actor=actor_from(request), **fields)
    return Status(201, a)


@endpoint(router, "GET", "/kb/suggest", "Suggest articles", tag=TAG, ok={200: list[ArticleSummary]})
def suggest(request: HttpRequest, query: Query[SuggestQuery]) -> list[Article]:
    """Published articles matching what a user types as a new ticket's subject."""
    check_query_params(request, SuggestQuery)
    return queries.suggestions(actor_from(request), query.q, query.limit)


@endpoint(router, "GET", "/kb/articles/{article_id}", "Get an article", tag=TAG, ok={200: ArticleOut}, errors=(404,))  # fmt: skip
def get_article(request: HttpRequest, article_id: int) -> Article:
    return queries.get_article(actor_from(request), article_id)


@endpoint(router, "PATCH", "/kb/articles/{article_id}", "Revise an article", tag=TAG, ok={200: ArticleOut}, errors=(403, 404))  # fmt: skip
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Article:
    """Each change is a new revision; `status` publishes or takes back to draft."""
    actor = actor_from(request)
    article = queries.get_article(actor, article_id)
    changes = _refs(request, changes_of(payload))
    with api_field_names(NAMES):
        return actions.update_article(actor=actor, article=article, changes=changes)


@endpoint(router, "GET", "/kb/articles/{article_id}/revisions", "Revisions", tag=TAG, ok={200: list[RevisionOut]}, errors=(403, 404))  # fmt: skip
def list_revisions(request: HttpRequest, article_id: int) -> list[ArticleRevision]:
    """Every saved version, newest first (staff only: drafts are in them)."""
    actor = actor_from(request)
    article = queries.get_article(actor, article_id)
    if not queries.is_staff(actor):
        raise NotFound("No such article.")
    return list(queries.revisions_of(article)[:500])


@endpoint(router, "GET", "/kb/categories", "Categories", tag=TAG, ok={200: list[CategoryOut]})
def list_categories(request: HttpRequest) -> list[KbCategory]:
    return list(queries.categories())


@endpoint(router, "POST", "/kb/categories", "Add a category", tag=TAG, ok={201: CategoryOut}, errors=(403, 409))  # fmt: skip
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[KbCategory]:
    c = actions.create_category(
        actor=actor_from(request), name=payload.name, position=payload.position
    )
    return Status(201, c)
