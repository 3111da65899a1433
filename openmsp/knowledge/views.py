"""Knowledge-base pages at /kb/: the staff editor and list, the portal's browse and read, and the
htmx suggestions shown while a user types a new ticket's subject. Thin: reads through
openmsp.knowledge.queries (an article one may not see is a 404), writes through actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core.errors import OpenMSPError
from openmsp.knowledge import actions, queries
from openmsp.knowledge.forms import ArticleForm, CategoryForm
from openmsp.knowledge.models import Article
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 25


def _staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_msp_staff", False))


def _require_editor(request: HttpRequest) -> None:
    require_perm(request, Perm.WORK)
    if not _staff(request):
        raise DjangoPermissionDenied("Only the MSP's staff write articles.")


@require_GET
@page
def kb_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    staff = _staff(request)
    qs = queries.articles_visible_to(actor)
    language = request.GET.get("language", "")
    if language in Article.Language.values:
        qs = qs.filter(language=language)
    status = request.GET.get("status", "")
    if staff and status in Article.Status.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()[:200]
    qs = queries.search_articles(qs, q)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/list.html",
        {
            "page_obj": page_obj, "staff": staff, "q": q, "language": language, "status": status,
            "languages": Article.Language.choices, "statuses": Article.Status.choices,
            "categories": queries.categories(), "category_form": CategoryForm(),
        },
    )  # fmt: skip


def _fields(form: ArticleForm) -> dict[str, Any]:
    return {k: form.cleaned_data[k] for k in actions.EDITABLE}


@GET_POST
@page
def kb_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    actor = actor_of(request)
    form = ArticleForm(request.POST or None, clients=clients_visible_to(actor))
    if request.method == "POST" and form.is_valid():
        source = None
        if request.POST.get("translation_of"):
            source = queries.get_article(actor, request.POST["translation_of"])
        try:
            a = actions.create_article(actor=actor, translation_of=source, **_fields(form))
        except OpenMSPError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Article saved."))
            return redirect("kb_detail", a.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "article": None, "translation_of": request.GET.get("translation_of")}
    return render(request, "knowledge/edit.html", context, status=status)


@GET_POST
@page
def kb_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    actor = actor_of(request)
    a = queries.get_article(actor, article_id)
    _require_editor(request)
    initial = {k: getattr(a, k) for k in actions.EDITABLE}
    form = ArticleForm(request.POST or None, initial=initial, clients=clients_visible_to(actor))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_article(actor=actor, article=a, changes=_fields(form))
        except OpenMSPError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Article saved."))
            return redirect("kb_detail", a.pk)
    status = 422 if form.errors else 200
    return render(request, "knowledge/edit.html", {"form": form, "article": a}, status=status)


@require_GET
@page
def kb_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    actor = actor_of(request)
    a = queries.get_article(actor, article_id)
    staff = _staff(request)
    translations = queries.articles_visible_to(actor).filter(
        pk__in=[x for x in (a.translation_of_id,) if x]
    ) | queries.articles_visible_to(actor).filter(translation_of=a)
    if not staff:
        translations = translations.filter(status=Article.Status.PUBLISHED)
    context = {
        "article": a, "staff": staff, "translations": translations.distinct(),
        "revisions": queries.revisions_of(a)[:50] if staff else [],
    }  # fmt: skip
    return render(request, "knowledge/detail.html", context)


@require_POST
@page
def kb_category_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            actions.create_category(actor=actor_of(request), name=form.cleaned_data["name"])
        except OpenMSPError as exc:
            messages.error(request, _(exc.message))
        else:
            messages.success(request, _("Category added."))
    else:
        messages.error(request, _("A name of 1-100 characters is needed."))
    return redirect("kb_list")


@require_GET
@page
def kb_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the articles matching what is typed in `subject` (or `q`), top 5."""
    text = (request.GET.get("subject") or request.GET.get("q") or "")[:300]
    if "\x00" in text:
        text = ""
    rows = queries.suggestions(actor_of(request), text)
    return render(request, "knowledge/suggestions.html", {"articles": rows, "text": text})
