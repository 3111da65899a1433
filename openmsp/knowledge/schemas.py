"""API shapes of knowledge-base articles, their revisions and categories."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, ListQuery, Page, QuerySchema, omittable
from openmsp.knowledge.models import Article

Id = int


class CategoryIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(0, ge=0, le=32767)


class CategoryOut(Schema):
    id: int
    name: str
    position: int


class ArticleIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=200_000)
    language: Article.Language
    visibility: Article.Visibility = Article.Visibility.PUBLIC
    client_id: Id | None = Field(None, ge=1, le=MAX_ID, description="Only for visibility=client.")
    category_id: Id | None = Field(None, ge=1, le=MAX_ID)
    status: Article.Status = Article.Status.DRAFT
    translation_of_id: Id | None = Field(
        None, ge=1, le=MAX_ID, description="The article this one translates (other language)."
    )


class ArticlePatch(InputSchema):
    title: str = omittable(min_length=1, max_length=200)
    body: str = omittable(min_length=1, max_length=200_000)
    language: Article.Language = omittable()
    visibility: Article.Visibility = omittable()
    client_id: Id | None = Field(None, ge=1, le=MAX_ID)
    category_id: Id | None = Field(None, ge=1, le=MAX_ID)
    status: Article.Status = omittable()


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    language: str
    visibility: str
    client_id: int | None
    category_id: int | None
    status: str
    translation_of_id: int | None
    author_id: int | None
    revision: int
    published_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ArticleSummary(Schema):
    id: int
    title: str
    language: str
    visibility: str
    client_id: int | None
    status: str
    updated_at: dt.datetime


class ArticleQuery(ListQuery):
    q: str | None = Field(None, max_length=200, description="Substring terms (all must match).")
    language: Article.Language | None = None
    category_id: Id | None = Field(None, ge=1, le=MAX_ID)
    client_id: Id | None = Field(None, ge=1, le=MAX_ID)
    visibility: Article.Visibility | None = None
    status: Article.Status | None = None
    ordering: Literal["-updated_at", "updated_at", "title", "-title"] | None = Field(
        None, description="Default: newest first, or by relevance when `q` is given."
    )


class SuggestQuery(QuerySchema):
    q: str = Field(max_length=300, description="What the user typed (a ticket subject).")
    limit: int = Field(5, ge=1, le=20)


class RevisionOut(Schema):
    number: int
    title: str
    body: str
    status: str
    author_id: int | None
    created_at: dt.datetime


ArticlePage = Page[ArticleSummary]
