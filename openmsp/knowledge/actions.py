"""Every change to the knowledge base: write, revise, publish, categorise. Staff only.

Each save appends an ArticleRevision (the history is kept) and an audit record, in one
transaction. Callers pass clients and articles fetched through the tenant-scoped queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, PermissionDenied, ValidationFailed
from openmsp.knowledge.models import Article, ArticleRevision, KbCategory
from openmsp.tenants.models import Client

BODY_LIMIT = 200_000
EDITABLE = ("title", "body", "language", "visibility", "client", "category", "status")


def _require_staff(actor: Actor) -> None:
    require(actor, Perm.WORK)
    if actor.user is not None and not actor.user.is_msp_staff:
        raise PermissionDenied("Only the MSP's staff write knowledge-base articles.")


def _clean(a: Article) -> None:
    a.title = (a.title or "").strip()
    a.body = (a.body or "").strip()
    if not a.title or len(a.title) > 200:
        raise ValidationFailed("A title of 1-200 characters is needed.", field="title")
    if not a.body:
        raise ValidationFailed("Write the article's text.", field="body")
    if len(a.body) > BODY_LIMIT:
        raise ValidationFailed(f"An article is at most {BODY_LIMIT} characters.", field="body")
    if a.language not in Article.Language.values:
        raise ValidationFailed(f"'{a.language}' is not a language (ko, en).", field="language")
    if a.visibility not in Article.Visibility.values:
        raise ValidationFailed(
            f"'{a.visibility}' is not a visibility (public, client, internal).", field="visibility"
        )
    if a.status not in Article.Status.values:
        raise ValidationFailed(f"'{a.status}' is not a status (draft, published).", field="status")
    if a.visibility == Article.Visibility.CLIENT and a.client_id is None:
        raise ValidationFailed("Choose the client this article is for.", field="client")
    if a.visibility != Article.Visibility.CLIENT:
        a.client = None
    if a.translation_of_id is not None and a.translation_of_id == a.pk:
        raise ValidationFailed("An article cannot translate itself.", field="translation_of")


def _revise(actor: Actor, a: Article) -> None:
    if a.status == Article.Status.PUBLISHED and a.published_at is None:
        a.published_at = timezone.now()
    a.save()
    ArticleRevision.objects.create(
        article=a, number=a.revision, title=a.title, body=a.body, status=a.status,
        author=actor.user,
    )  # fmt: skip


@transaction.atomic
def create_article(
    *,
    actor: Actor,
    title: str,
    body: str,
    language: str,
    visibility: str = Article.Visibility.PUBLIC,
    client: Client | None = None,
    category: KbCategory | None = None,
    status: str = Article.Status.DRAFT,
    translation_of: Article | None = None,
) -> Article:
    _require_staff(actor)
    a = Article(
        title=title, body=body, language=language, visibility=visibility, client=client,
        category=category, status=status, translation_of=translation_of, author=actor.user,
    )  # fmt: skip
    _clean(a)
    _revise(actor, a)
    audit.record(
        actor=actor, action="kb.article_created", obj=a, client_id=a.client_id,
        after=audit.snapshot(a),
    )  # fmt: skip
    return a


@transaction.atomic
def update_article(*, actor: Actor, article: Article, changes: Mapping[str, Any]) -> Article:
    """A new revision when anything changed; moving back to draft keeps the history."""
    _require_staff(actor)
    a: Article = Article.objects.select_for_update().get(pk=article.pk)
    before = audit.snapshot(a)
    for name, value in changes.items():
        if name not in EDITABLE:
            raise ValidationFailed(f"'{name}' cannot be changed.", field=name)
        setattr(a, name, value)
    _clean(a)
    after = audit.snapshot(a)
    if after == before:
        return a
    a.revision += 1
    _revise(actor, a)
    audit.record(
        actor=actor, action="kb.article_changed", obj=a, client_id=a.client_id or before.get("client_id"),
        before=before, after=audit.snapshot(a),
    )  # fmt: skip
    return a


@transaction.atomic
def create_category(*, actor: Actor, name: str, position: int = 0) -> KbCategory:
    _require_staff(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("A name of 1-100 characters is needed.", field="name")
    try:
        with transaction.atomic():
            c = KbCategory.objects.create(name=name, position=max(0, min(position, 32767)))
    except IntegrityError:
        raise Conflict(f"There is already a category '{name}'.", field="name") from None
    audit.record(actor=actor, action="kb.category_created", obj=c, after=audit.snapshot(c))
    return c


# Sentences above that the UI shows translated (openmsp.web.pages.apply_error).
UI_MESSAGES = (
    gettext_noop("Only the MSP's staff write knowledge-base articles."),
    gettext_noop("A title of 1-200 characters is needed."),
    gettext_noop("Write the article's text."),
    gettext_noop("Choose the client this article is for."),
)
