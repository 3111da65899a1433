"""Ticket search through the trigram indexes finds exactly what the plain substring scan found:
subjects and every message body, case-insensitive, Korean substrings inside words (particles
attach to nouns), the ticket number; and the index stays in step as tickets and messages change.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Q

from openmsp.core import textsearch
from openmsp.core.actor import Actor
from openmsp.servicedesk import actions, queries
from openmsp.servicedesk.models import Ticket

QUERIES = [
    "프린터", "린터가", "로그인이", "VPN", "vpn", "Vpn 연결", "invoice", "NVOIC", "오류",
    "서버", "%", "_", "a", "T0000", "nothing-like-this", "뒤에 100%", "100% 완료",
]  # fmt: skip


@pytest.fixture
def desk(msp_owner: Any, client_a: Any, client_b: Any) -> dict[str, Ticket]:
    owner = Actor(user=msp_owner)

    def open_(client: Any, subject: str, body: str) -> Ticket:
        return actions.open_ticket(actor=owner, client=client, subject=subject, body=body)

    made = {
        "printer": open_(client_a, "프린터가 안 돼요", "3층 프린터가 종이를 먹어요."),
        "vpn": open_(client_a, "VPN 연결 끊김", "Since Monday the VPN drops."),
        "login": open_(client_b, "Cannot sign in", "로그인이 안 됩니다. 오류 코드 401."),
        "invoice": open_(client_b, "Question", "Where is the March INVOICE?"),
        "percent": open_(client_a, "Backup 100% 완료 but empty", "뒤에 100% 라고 나와요"),
    }
    actions.reply(actor=owner, ticket=made["invoice"], body="서버 쪽 오류로 늦어집니다.")
    return made


def _scan(q: str) -> set[int]:
    """The search as it was before the indexes: a join over every body, de-duplicated."""
    number = queries.ticket_number_in(q)
    by_number = Q(number=number) if number else Q(pk__in=[])
    qs = Ticket.objects.filter(Q(subject__icontains=q) | by_number | Q(entries__body__icontains=q))
    return set(qs.distinct().values_list("pk", flat=True))


def _search(q: str) -> set[int]:
    found = queries.filter_tickets(Ticket.objects.all(), q=q)
    pks = list(found.values_list("pk", flat=True))
    assert len(pks) == len(set(pks)), "a ticket matching in several messages is listed once"
    return set(pks)


def test_indexed_search_finds_exactly_what_the_scan_found(desk: dict[str, Ticket]) -> None:
    number = desk["vpn"].number
    for q in [*QUERIES, number, number.lower()]:
        assert _search(q) == _scan(q), q
    assert _search("린터가") == {desk["printer"].pk}  # inside a word, subject and body
    assert _search("로그인이") == {desk["login"].pk}  # only in a body
    assert _search("nvoic") == {desk["invoice"].pk}  # case-insensitive, inside a word
    assert _search("서버 쪽") == {desk["invoice"].pk}  # in the second message
    assert _search(number.lower()) == {desk["vpn"].pk}
    digits = str(int(number[1:]))  # T000002 is also "#2", "2" and "t2"
    for q in (f"#{digits}", digits, f"t{digits}", f" {number} "):
        assert desk["vpn"].pk in _search(q.strip()), q
        assert _search(q.strip()) == _scan(q.strip()), q
    assert _search("100%") == {desk["percent"].pk}  # % is a character, not a wildcard


def test_the_index_follows_edits_merges_and_new_messages(
    desk: dict[str, Ticket], msp_owner: Any
) -> None:
    owner = Actor(user=msp_owner)
    actions.update_ticket(actor=owner, ticket=desk["vpn"], changes={"subject": "방화벽 정책 문의"})
    assert desk["vpn"].pk not in _search("연결 끊김")
    assert _search("화벽 정") == {desk["vpn"].pk}
    actions.note(actor=owner, ticket=desk["login"], body="AD 계정잠금 해제함")
    assert _search("계정잠금") == {desk["login"].pk}
    actions.merge(actor=owner, source=desk["printer"], target=desk["percent"])
    assert desk["percent"].pk in _search("종이를 먹어")
    Ticket.objects.filter(pk=desk["login"].pk).delete()
    assert _search("계정잠금") == set()
    for q in ["프린터", "종이를 먹어", "계정잠금", "화벽 정", "VPN"]:
        assert _search(q) == _scan(q), q


def test_staff_and_client_views_search_through_the_same_path(
    desk: dict[str, Ticket], api_as: Any, msp_owner: Any, alice: Any
) -> None:
    got = api_as(msp_owner).get("/api/v1/tickets", {"q": "프린터"}).json()
    assert [t["id"] for t in got["items"]] == [desk["printer"].pk]
    got = api_as(alice).get("/api/v1/tickets", {"q": "오류"}).json()
    assert got["items"] == []  # the matches are client B's


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_keeps_an_fts5_trigram_table_in_step(desk: dict[str, Ticket]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM servicedesk_ticketentry_fts WHERE servicedesk_ticketentry_fts"
            " MATCH %s",
            ['"종이를"'],
        )
        rows = {r[0] for r in cursor.fetchall()}
    assert rows == set(desk["printer"].entries.values_list("pk", flat=True))
    assert queries.candidates_of_search("종이를") is not None
    assert queries.candidates_of_search("종이") is None  # two characters: no trigram, a scan


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_remakes_missing_triggers_after_migrate(desk: dict[str, Ticket]) -> None:
    """A later migration that rebuilds the ticket table drops its triggers; post_migrate (here
    called as migrate would) puts them back and rebuilds the index."""
    with connection.cursor() as cursor:
        for trigger in ("ai", "au", "ad"):
            cursor.execute(f"DROP TRIGGER servicedesk_ticket_fts_{trigger}")
    dropped = actions.open_ticket(
        actor=Actor.system("test"), client=desk["vpn"].client, subject="키보드 고장", body="x"
    )
    assert _search("키보드 고장") == set()  # unindexed: the failure the hook prevents
    textsearch.ensure_sqlite_indexes(connection, [queries.TICKET_TEXT, queries.TICKET_ENTRY_TEXT])
    assert _search("키보드 고장") == {dropped.pk}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_answers_the_search_from_the_trigram_indexes(desk: dict[str, Ticket]) -> None:
    sql, params = queries.filter_tickets(Ticket.objects.all(), q="프린터가").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "servicedesk_ticket_subject_trgm" in plan
    assert "servicedesk_ticketentry_body_trgm" in plan
