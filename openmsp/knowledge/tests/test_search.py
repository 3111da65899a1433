"""Search and suggestions: substrings (Korean particles attach to nouns, so 프린터 must find
프린터가), every term must match, title matches rank first, and a user's suggestions are only
articles that user may read."""

from __future__ import annotations

from openmsp.core.actor import Actor
from openmsp.knowledge import queries, search


def test_terms_are_lowercased_deduplicated_and_short_noise_is_dropped():
    assert search.terms("VPN  vpn a 프린터가, ERP!") == ["프린터가", "erp", "vpn"]
    assert search.terms("") == []
    assert search.terms(None) == []
    assert len(search.terms(" ".join(f"w{i:02d}" for i in range(20)))) == search.MAX_TERMS


def test_a_korean_substring_finds_the_article(bob, library):
    found = queries.search_articles(queries.articles_visible_to(Actor(user=bob)), "프린터")
    assert [a.title for a in found] == ["프린터가 인쇄되지 않을 때"]
    found = queries.search_articles(queries.articles_visible_to(Actor(user=bob)), "전원")
    assert [a.title for a in found] == ["프린터가 인쇄되지 않을 때"]


def test_every_term_must_match_and_title_matches_rank_first(write, msp_owner):
    write("Outlook keeps asking for a password", "Clear the credential cache.")
    write("Mail setup", "If Outlook asks for the password again, see the FAQ.")
    actor = Actor(user=msp_owner)
    found = [a.title for a in queries.search_articles(queries.articles_visible_to(actor), "outlook password")]  # fmt: skip
    assert found == ["Outlook keeps asking for a password", "Mail setup"]
    assert not queries.search_articles(
        queries.articles_visible_to(actor), "outlook printer"
    ).exists()


def test_suggestions_leave_out_drafts_internal_and_other_clients_articles(bob, msp_owner, library):
    assert [a.title for a in queries.suggestions(Actor(user=bob), "VPN")] == ["Hanbit VPN profile"]
    staff = {a.title for a in queries.suggestions(Actor(user=msp_owner), "VPN")}
    assert staff == {"Hanbit VPN profile", "Saebom VPN profile"}  # published only, even for staff


def test_the_htmx_suggestion_fragment_lists_matches_for_the_typed_subject(web_as, bob, library):
    r = web_as(bob).get("/kb/suggest/", {"subject": "printer 프린터"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert (
        r.content.decode().strip() == ""
    )  # both terms must match: "printer" is not in the Korean one
    body = web_as(bob).get("/kb/suggest/", {"subject": "프린터 인쇄"}).content.decode()
    assert "프린터가 인쇄되지 않을 때" in body
    assert f"/kb/{library['public_ko'].pk}/" in body
    assert (
        "Saebom" not in web_as(bob).get("/kb/suggest/", {"subject": "VPN profile"}).content.decode()
    )


def test_the_new_ticket_form_asks_for_suggestions_as_the_subject_is_typed(web_as, bob):
    body = web_as(bob).get("/tickets/new/").content.decode()
    assert 'hx-get="/kb/suggest/"' in body
    assert 'id="kb-suggestions"' in body


def test_api_search_and_suggest(api_as, bob, library):
    http = api_as(bob)
    items = http.get("/api/v1/kb/articles", {"q": "프린터"}).json()["items"]
    assert [i["title"] for i in items] == ["프린터가 인쇄되지 않을 때"]
    items = http.get("/api/v1/kb/suggest", {"q": "vpn"}).json()
    assert [i["title"] for i in items] == ["Hanbit VPN profile"]
    assert http.get("/api/v1/kb/articles", {"language": "ko"}).json()["count"] == 1
