"""Who may read which article, and search.

MSP staff see internal and public articles and those of the clients they may see, drafts too.
Client users see published articles that are public or for their own client, nothing else; an
article they may not see is a NotFound (404).
"""

from __future__ import annotations

from functools import reduce
from operator import and_

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from openmsp.core import textsearch
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.knowledge import search
from openmsp.knowledge.models import Article, ArticleRevision, KbCategory
from openmsp.tenants.queries import visible_client_ids

A = Article.Visibility
# Indexed for substring search: trigram GIN on PostgreSQL (migration 0002), FTS5 on SQLite.
ARTICLE_TEXT = textsearch.Indexed("knowledge_article", ("title", "body"))


def is_staff(actor: Actor) -> bool:
    return actor.user is None or actor.user.is_msp_staff


def articles_visible_to(actor: Actor) -> QuerySet[Article]:
    qs = Article.objects.select_related("client", "category", "author")
    if is_staff(actor):
        ids = visible_client_ids(actor)
        if ids is None:
            return qs
        return qs.filter(~Q(visibility=A.CLIENT) | Q(client__in=ids))
    user = actor.user
    assert user is not None
    if not user.is_active or user.client_id is None:
        return qs.none()
    return qs.filter(status=Article.Status.PUBLISHED).filter(
        Q(visibility=A.PUBLIC) | Q(visibility=A.CLIENT, client_id=user.client_id)
    )


def get_article(actor: Actor, article_id: int | str) -> Article:
    try:
        return articles_visible_to(actor).get(pk=article_id)
    except (Article.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such article.") from None


def search_articles(qs: QuerySet[Article], query: str | None) -> QuerySet[Article]:
    """Every term in the title or body (substring, case-insensitive); title matches rank first."""
    words = search.terms(query)
    if not words:
        return qs
    found = textsearch.candidates(connection, ARTICLE_TEXT, words)
    if found is not None:  # SQLite: FTS5 narrows, the lookups below decide (textsearch)
        qs = qs.filter(pk__in=RawSQL(*found))  # noqa: S611 (the term is a parameter)
    qs = qs.filter(reduce(and_, [Q(title__icontains=w) | Q(body__icontains=w) for w in words]))
    in_title = [When(title__icontains=w, then=Value(1)) for w in words]
    rank = Case(*in_title, default=Value(0), output_field=IntegerField())
    return qs.annotate(title_hit=rank).order_by("-title_hit", "-updated_at", "-pk")


def suggestions(actor: Actor, query: str | None, limit: int = 5) -> list[Article]:
    """What a user typing a ticket subject may read: published only, even for staff."""
    if not search.terms(query):
        return []
    qs = articles_visible_to(actor).filter(status=Article.Status.PUBLISHED)
    return list(search_articles(qs, query)[:limit])


def revisions_of(article: Article) -> QuerySet[ArticleRevision]:
    return ArticleRevision.objects.filter(article=article).select_related("author")


def categories() -> QuerySet[KbCategory]:
    return KbCategory.objects.all()


def get_category(category_id: int | str) -> KbCategory:
    try:
        return KbCategory.objects.get(pk=category_id)
    except (KbCategory.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such category.") from None
