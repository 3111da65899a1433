"""Knowledge base: articles the MSP writes for all clients, for one client, or for its staff.

An article is written in one language (ko or en); a translation is a second article linked to the
first through `translation_of`, so each language has its own title, body, draft state and history.
Articles are not TenantOwned: a public or internal article belongs to no client (`client` empty).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openmsp.core.models import TimestampedModel
from openmsp.tenants.models import Client


class KbCategory(TimestampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class Article(TimestampedModel):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("All clients")
        CLIENT = "client", _("One client")
        INTERNAL = "internal", _("Internal (staff only)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Language(models.TextChoices):
        KO = "ko", "한국어"
        EN = "en", "English"

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE
    )
    category = models.ForeignKey(
        KbCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    translation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="translations"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="kb_articles",
    )  # fmt: skip
    published_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "visibility"], name="kb_article_status_vis")]
        constraints = [
            models.CheckConstraint(
                name="kb_article_client_iff_client_visibility",
                condition=(Q(visibility="client") & Q(client__isnull=False))
                | (~Q(visibility="client") & Q(client__isnull=True)),
            )
        ]

    def __str__(self) -> str:
        return self.title


class ArticleRevision(models.Model):
    """Every saved version of an article, kept: number 1 is the first save."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"
