"""The shared API building blocks other apps reuse (openmsp/core/apiutils.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from pydantic import Field, ValidationError

from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    MAX_ID,
    InputSchema,
    ListQuery,
    check_query_params,
    fetch,
    fetch_refs,
    omittable,
    order,
    page,
)
from openmsp.core.errors import NotFound, ValidationFailed
from openmsp.tenants import actions
from openmsp.tenants.models import Client

SYSTEM = Actor.system("test")


class Body(InputSchema):
    name: str = Field(max_length=10)
    tags: list[str] = Field(default_factory=list)


class Patch(InputSchema):
    name: str = omittable(max_length=10)


class Query(ListQuery):
    q: str | None = None


def test_input_schemas_refuse_unknown_fields_and_trim_text():
    assert Body(name="  Hanbit ").name == "Hanbit"
    with pytest.raises(ValidationError, match="nmae"):
        Body.model_validate({"name": "x", "nmae": "y"})


@pytest.mark.parametrize("bad", ["nul\x00", "lone \ud800 surrogate"])
def test_input_schemas_refuse_text_no_database_can_store(bad):
    with pytest.raises(ValidationError):
        Body(name=bad[:10])
    with pytest.raises(ValidationError):
        Body(name="ok", tags=[bad])


def test_an_omittable_field_may_be_left_out_but_not_sent_as_null():
    assert Patch().model_dump(exclude_unset=True) == {}
    with pytest.raises(ValidationError):
        Patch.model_validate({"name": None})


def test_unknown_query_parameters_are_refused_naming_the_known_ones():
    request = RequestFactory().get("/x?limit=5&qq=1")
    with pytest.raises(ValidationFailed) as caught:
        check_query_params(request, Query)
    assert caught.value.field == "qq"
    assert "limit, offset, q" in caught.value.message


@pytest.mark.django_db
def test_ordering_breaks_ties_by_id_so_pages_never_overlap():
    for code in ("b", "a", "c"):
        actions.create_client(actor=SYSTEM, name=f"Same {code}", code=code)
    qs = order(Client.objects.all(), "-time_zone")
    assert str(qs.query).rstrip().endswith('"tenants_client"."id" DESC')


@pytest.mark.django_db
def test_a_page_past_the_end_is_empty_but_still_counts():
    actions.create_client(actor=SYSTEM, name="Only", code="only")
    request = RequestFactory().get("/x?offset=5")
    result = page(request, Client.objects.all(), Query.model_validate({"offset": 5}))
    assert result == {"count": 1, "items": [], "limit": 50, "offset": 5}


@pytest.mark.django_db
def test_fetching_answers_404_for_a_missing_or_impossible_id():
    for pk in (987654, MAX_ID, 10**30, "abc"):
        with pytest.raises(NotFound, match="No such client"):
            fetch(Client.objects.all(), "client", pk=pk)


@pytest.mark.django_db
def test_listed_ids_beyond_64_bits_are_missing_not_a_crash():
    client = actions.create_client(actor=SYSTEM, name="Real", code="real")
    assert fetch_refs(Client.objects.all(), "client", "ids", [client.pk]) == [client]
    with pytest.raises(ValidationFailed) as caught:
        fetch_refs(Client.objects.all(), "client", "ids", [client.pk, 10**30, -(10**30)])
    assert caught.value.field == "ids"
    assert str(10**30) in caught.value.message


def test_instants_are_normalised_to_utc_and_refused_when_they_cannot_be():
    from openmsp.tenants.schemas import WorkingMinutesQuery

    parse = WorkingMinutesQuery.model_validate
    parsed = parse({"start": "2026-03-02T09:00:00+09:00", "end": "2026-03-02T10:00:00Z"})
    assert parsed.start == dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
    assert parsed.start.utcoffset() == dt.timedelta(0)
    with pytest.raises(ValidationError, match="timezone"):
        parse({"start": "2026-03-02T09:00:00", "end": "2026-03-02T10:00:00Z"})
    with pytest.raises(ValidationError, match="range"):
        parse({"start": "0001-01-01T00:00:00+14:00", "end": "2026-03-02T10:00:00Z"})
