"""Writing articles: staff only, every save kept as a revision and audited, drafts published,
translations linked, and bad input refused with the field named."""

from __future__ import annotations

import pytest

from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.core.models import AuditRecord
from openmsp.knowledge import actions
from openmsp.knowledge.models import Article

JSON = "application/json"


def test_every_change_is_a_new_revision_and_the_history_is_kept(writer, write):
    a = write("VPN", "v1", status="draft")
    a = actions.update_article(actor=Actor(user=writer), article=a, changes={"body": "v2"})
    a = actions.update_article(actor=Actor(user=writer), article=a, changes={"status": "published"})
    same = actions.update_article(actor=Actor(user=writer), article=a, changes={"body": "v2"})
    assert same.revision == a.revision == 3
    assert [(r.number, r.body, r.status) for r in a.revisions.all()] == [
        (3, "v2", "published"), (2, "v2", "draft"), (1, "v1", "draft"),
    ]  # fmt: skip
    assert a.published_at is not None
    actions_seen = list(AuditRecord.objects.filter(object_id=str(a.pk), object_type="knowledge.article").values_list("action", flat=True))  # fmt: skip
    assert sorted(actions_seen) == [
        "kb.article_changed",
        "kb.article_changed",
        "kb.article_created",
    ]


def test_client_users_cannot_write(alice):
    with pytest.raises(PermissionDenied):
        actions.create_article(actor=Actor(user=alice), title="x", body="y", language="en")


def test_a_client_article_needs_its_client_and_others_drop_it(writer, client_a):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_article(actor=Actor(user=writer), title="x", body="y", language="en", visibility="client")  # fmt: skip
    assert exc.value.field == "client"
    a = actions.create_article(actor=Actor(user=writer), title="x", body="y", language="en", client=client_a)  # fmt: skip
    assert a.visibility == "public"
    assert a.client_id is None


def test_the_api_writes_revises_and_links_a_translation(api_as, writer, client_a):
    http = api_as(writer)
    r = http.post("/api/v1/kb/articles", {"title": "Printer offline", "body": "Power-cycle it.", "language": "en"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 201, r.content
    en = r.json()
    assert en["status"] == "draft"
    assert en["revision"] == 1
    r = http.post("/api/v1/kb/articles", {"title": "프린터 오프라인", "body": "전원을 껐다 켜세요.", "language": "ko", "translation_of_id": en["id"], "status": "published"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 201
    assert r.json()["translation_of_id"] == en["id"]
    r = http.patch(f"/api/v1/kb/articles/{en['id']}", {"visibility": "client", "client_id": client_a.pk, "status": "published"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 200
    assert r.json()["client_id"] == client_a.pk
    assert r.json()["revision"] == 2
    revs = http.get(f"/api/v1/kb/articles/{en['id']}/revisions").json()
    assert [x["number"] for x in revs] == [2, 1]
    assert Article.objects.get(pk=en["id"]).translations.count() == 1


def test_the_api_refuses_bad_articles_naming_the_field(api_as, writer, bob):
    http = api_as(writer)
    cases = [
        ({"title": "x", "body": "y", "language": "fr"}, "language"),
        ({"title": "x", "body": "y", "language": "en", "visibility": "client"}, "client"),
        ({"title": "x", "body": "y", "language": "en", "client_id": 999_999, "visibility": "client"}, "client_id"),
        ({"title": "x", "body": "y", "language": "en", "category_id": 999_999}, "category_id"),
        ({"title": "", "body": "y", "language": "en"}, "title"),
    ]  # fmt: skip
    for body, field in cases:
        r = http.post("/api/v1/kb/articles", body, content_type=JSON)
        assert r.status_code == 422, (body, r.content)
        assert r.json().get("field") == field or field in r.json()["detail"], r.json()
    r = api_as(bob).post("/api/v1/kb/articles", {"title": "x", "body": "y", "language": "en"}, content_type=JSON)  # fmt: skip
    assert r.status_code == 403
    r = http.post("/api/v1/kb/categories", {"name": "Network"}, content_type=JSON)
    assert r.status_code == 201
    assert (
        http.post("/api/v1/kb/categories", {"name": "Network"}, content_type=JSON).status_code
        == 409
    )


def test_the_staff_editor_creates_and_edits_an_article(web_as, writer, client_a):
    http = web_as(writer)
    assert http.get("/kb/new/").status_code == 200
    form = {"title": "Wi-Fi guest access", "body": "Ask reception.", "language": "en", "visibility": "client", "client": client_a.pk, "status": "published"}  # fmt: skip
    r = http.post("/kb/new/", form)
    assert r.status_code == 302, r.content
    a = Article.objects.get(title="Wi-Fi guest access")
    assert a.client_id == client_a.pk
    assert a.author_id == writer.pk
    r = http.post(f"/kb/{a.pk}/edit/", {**form, "body": "Ask reception for a code."})
    assert r.status_code == 302
    page = http.get(f"/kb/{a.pk}/").content.decode()
    assert "Ask reception for a code." in page
    assert 'id="kb-revisions"' in page
    assert http.post("/kb/new/", {**form, "visibility": "client", "client": ""}).status_code == 422
    assert http.post("/kb/categories/", {"name": "Network"}).status_code == 302
