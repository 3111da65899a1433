"""A text search's pages (core.paging): one query gives the page's ids and a count capped past
the page's start; paging on reaches every match exactly once, in order; the count says when it
is a lower bound (API `count_exact`, the queue's "More than N" in ko and en)."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.core import paging
from openmsp.core.actor import Actor
from openmsp.servicedesk import actions, views
from openmsp.servicedesk.models import Ticket
from openmsp.tenants.models import Client
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401


@pytest.fixture
def matches(msp_owner: Any, client_a: Client, client_b: Client, bob: Any) -> list[Ticket]:
    """13 tickets about the VPN (one only in a reply, one of them Bob's), 4 about other things."""
    owner = Actor(user=msp_owner)
    made = []
    for i in range(13):
        client = client_a if i % 3 else client_b
        subject, body = (f"VPN drops #{i}", "since Monday") if i != 5 else ("Slow", "details")
        made.append(actions.open_ticket(actor=owner, client=client, subject=subject, body=body))
    actions.reply(actor=owner, ticket=made[5], body="The VPN concentrator was at fault.")
    actions.open_ticket(
        actor=Actor(user=bob), client=client_a, subject="VPN for Bob", body="at home"
    )
    for i in range(4):
        actions.open_ticket(actor=owner, client=client_a, subject=f"Printer {i}", body="jams")
    return made


def _all_vpn(client: Client | None = None) -> list[int]:
    qs = Ticket.objects.filter(subject__icontains="vpn") | Ticket.objects.filter(
        entries__body__icontains="vpn"
    )
    if client is not None:
        qs = qs.filter(client=client)
    return list(qs.distinct().order_by("-created_at", "-pk").values_list("pk", flat=True))


def test_api_pages_of_a_search_reach_every_match_once_and_say_when_the_count_is_a_bound(
    matches: list[Ticket], msp_owner: Any, api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "SEARCH_COUNT_CAP", 5)
    http = api_as(msp_owner)
    expected = _all_vpn()
    assert len(expected) == 14
    seen: list[int] = []
    counts = []
    offset = 0
    while True:
        r = http.get(f"/api/v1/tickets?q=vpn&limit=4&offset={offset}")
        assert r.status_code == 200, r.content
        body = r.json()
        counts.append((body["count"], body["count_exact"]))
        if not body["items"]:
            break
        seen += [t["id"] for t in body["items"]]
        offset += 4
    assert seen == expected  # every match once, newest first, none skipped
    # At most cap (5) past the start are counted: 0..4 -> "at least 5" ... exact near the end.
    assert counts == [(5, False), (9, False), (13, False), (14, True), (14, True)]
    # Without a search the count is exact as always.
    r = http.get("/api/v1/tickets?limit=2").json()
    assert r["count"] == Ticket.objects.count()
    assert r["count_exact"] is True


def test_a_search_finds_the_ticket_by_number_and_a_client_user_only_their_own(
    matches: list[Ticket], bob: Any, api_as: Any, msp_owner: Any
) -> None:
    number = matches[7].number
    for q in (number, f"#{int(number[1:])}", number.lower()):
        ids = [t["id"] for t in api_as(msp_owner).get(f"/api/v1/tickets?q={q}").json()["items"]]
        assert matches[7].pk in ids, q
    r = api_as(bob).get("/api/v1/tickets?q=vpn").json()
    assert [t["subject"] for t in r["items"]] == ["VPN for Bob"]
    assert (r["count"], r["count_exact"]) == (1, True)


@pytest.mark.usefixtures("compiled_translations")
def test_the_queue_page_pages_a_search_and_says_more_than_n_in_both_languages(
    matches: list[Ticket],
    msp_owner: Any,
    web_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "SEARCH_COUNT_CAP", 5)
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    http = web_as(speaking(msp_owner, "en"))
    expected = [Ticket.objects.get(pk=pk).number for pk in _all_vpn()]
    seen: list[str] = []
    for number in range(1, 5):
        page = http.get(f"/tickets/?open=0&q=vpn&page={number}")
        assert page.status_code == 200
        html = page.content.decode()
        seen += [n for n in expected if f">{n}</a>" in html]
        if number < 4:
            assert "tickets match; add words to narrow the search" in html
            assert "or more" in html
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(expected)
    last = http.get("/tickets/?open=0&q=vpn&page=4").content.decode()
    assert "14 tickets match." in last
    assert "Page 4 of 4<" in last
    # Past the end: the last page, as for any list.
    far = http.get("/tickets/?open=0&q=vpn&page=99").content.decode()
    assert "Page 4 of 4<" in far
    speaking(msp_owner, "ko")
    ko = http.get("/tickets/?open=0&q=vpn").content.decode()
    assert "개 넘는 티켓이 일치합니다" in ko
    assert "이상" in ko
