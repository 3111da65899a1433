"""Pages of a text search: the page's ids and a capped count in one query, then the page's rows.

A broad search (a word in a sixth of 100,000 tickets) matches thousands of rows. Counting them
all and then asking again for the first page evaluates the search twice; the page query also
drags every wide, joined row of the matches through the sort. Here the search runs once, for
ids only (`ORDER BY … OFFSET o LIMIT cap + 1`): that gives the page and, past it, enough to say
"at least o + cap" when more match. The page's rows are then read by primary key (the
"deferred join"), through the caller's queryset so visibility and `select_related` still apply.

The count is exact whenever at most `cap` rows follow the page's start; otherwise it is a lower
bound and `exact` is False (the UI says "1,000+", the API `count_exact: false`). Every match
stays reachable: the next page's query counts on from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

SEARCH_COUNT_CAP = 1000
"""At most this many matches past the page's start are counted."""


@dataclass(frozen=True)
class Slice:
    items: list[Any]
    count: int
    exact: bool


def search_slice(
    qs: QuerySet[Any],
    rows: Callable[[Sequence[int]], Iterable[Model]],
    *,
    offset: int,
    limit: int,
    cap: int | None = None,
) -> Slice:
    """*limit* rows of the ordered *qs* from *offset*, read through `rows(ids)`, and the count.

    *qs* must be ordered (ties broken by the primary key), or pages could overlap."""
    cap = max(SEARCH_COUNT_CAP if cap is None else cap, limit)
    ids = list(qs.values_list("pk", flat=True)[offset : offset + cap + 1])
    if not ids:
        # Past the end (or nothing matches): the true count, which is at most `offset`.
        return Slice([], qs.count() if offset else 0, True)
    page_ids = ids[:limit]
    by_id = {row.pk: row for row in rows(page_ids)}
    # A row changed between the two reads (e.g. deleted) is left out, not an error.
    items = [by_id[pk] for pk in page_ids if pk in by_id]
    more = len(ids) > cap
    return Slice(items, offset + (cap if more else len(ids)), not more)


class SearchPaginator(Paginator[Any]):
    """A Django paginator over `search_slice`, called as Paginator is (`get_page(number)`): the
    requested page is read with its capped count, which becomes `count` (a lower bound when
    `count_exact` is False)."""

    def __init__(
        self,
        qs: QuerySet[Any],
        per_page: int,
        *,
        rows: Callable[[Sequence[int]], Iterable[Model]],
        cap: int | None = None,
    ) -> None:
        super().__init__(qs, per_page)
        self._qs = qs
        self._rows = rows
        self._cap = cap
        self.count_exact = True

    def _read(self, number: int) -> Slice:
        offset = (number - 1) * self.per_page
        return search_slice(self._qs, self._rows, offset=offset, limit=self.per_page, cap=self._cap)

    def get_page(self, number: Any) -> Page[Any]:
        try:
            wanted = min(max(1, int(number)), 1_000_000)
        except (TypeError, ValueError):
            wanted = 1
        got = self._read(wanted)
        if not got.items and got.count:  # past the end: the last page, as Paginator.get_page
            wanted = -(-got.count // self.per_page)
            got = self._read(wanted)
        self.count = got.count  # shadows Paginator.count (a cached_property)
        self.count_exact = got.exact
        return Page(got.items, wanted, self)
