"""Building blocks every app's `api.py` and `schemas.py` reuse.

- `InputSchema`: request bodies. Unknown fields are refused (a typo is a 422 naming the field),
  surrounding blanks are trimmed, and text that no database can store (NUL, lone surrogates) is
  refused instead of failing at save time.
- `ListQuery` + `page()`: `limit`/`offset` pagination, an `ordering` allow-list declared per
  endpoint as a `Literal`, and a refusal of query parameters the endpoint does not know.
- `Page[T]`: the list envelope `{"count", "items", "limit", "offset"}`.
- `endpoint()`: registers an operation with summary, tag, id and documented error responses.
- `Instant`: a timezone-aware datetime, normalised to UTC.
- `path_object()`: how to fetch the object a path parameter names, so that another tenant's object
  answers 404 even to an otherwise invalid request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.constants import NOT_SET
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, field_validator

from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound, OpenMSPError, PermissionDenied, ValidationFailed
from openmsp.core.paging import SEARCH_COUNT_CAP, search_slice

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
# Far beyond any real table, yet inside every database's integer range (an unbounded offset
# overflows SQLite's and PostgreSQL's 64-bit integers).
MAX_OFFSET = 1_000_000_000
MAX_ID = 2**63 - 1


# --- Error bodies -------------------------------------------------------------------------------


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """Every 4xx answer: a sentence, the field at fault if one is, every problem for a 422."""

    detail: str = Field(description="What went wrong, as a sentence.")
    field: str | None = Field(None, description="The request field at fault, if one is.")
    errors: list[FieldErrorOut] | None = Field(None, description="Every validation problem (422).")


_ERROR_DESCRIPTIONS = {
    400: "The request could not be read (for example malformed JSON).",
    401: "No valid bearer token or signed-in session.",
    403: "Your role or a read-only token does not allow this.",
    404: "No such object, or one you may not see.",
    409: "The change conflicts with existing data.",
    413: "The request body is too large.",
    422: "A field is invalid; `field` names it.",
}


def endpoint(
    router: Router,
    method: str,
    path: str,
    summary: str,
    *,
    tag: str,
    ok: Mapping[int, Any],
    errors: Iterable[int] = (),
    openapi_extra: Mapping[str, Any] | None = None,
    auth: Any = NOT_SET,
) -> Callable[[F], F]:
    """Register an operation with what makes the OpenAPI document a usable reference: a summary,
    a tag, the function's name as operation id, its docstring as description, and the `ErrorOut`
    schema and a description for every error it can answer (400, 401 and 422 always apply; 413
    to operations that take a body)."""
    bodies = {413} if method.upper() in {"POST", "PUT", "PATCH"} else set()
    codes = sorted({400, 401, 422, *bodies, *errors})
    responses: dict[int, Any] = {**ok, **dict.fromkeys(codes, ErrorOut)}
    extra: dict[str, Any] = {
        "responses": {code: {"description": _ERROR_DESCRIPTIONS[code]} for code in codes}
    }
    for key, value in (openapi_extra or {}).items():
        if key == "responses":
            for code, doc in value.items():
                extra["responses"].setdefault(code, {}).update(doc)
        else:
            extra[key] = value

    def decorator(fn: F) -> F:
        return router.api_operation(
            [method],
            path,
            response=responses,
            operation_id=fn.__name__,
            summary=summary,
            tags=[tag],
            openapi_extra=extra,
            auth=auth,  # NOT_SET: the API's (user tokens, session); receivers bring their own
        )(fn)

    return decorator


# --- Input --------------------------------------------------------------------------------------


def _check_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (it contains a lone surrogate).") from None
    return value


def _check_texts(value: Any) -> Any:
    if isinstance(value, str):
        return _check_text(value)
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_texts(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_texts(key)
            _check_texts(item)
    return value


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _check_texts(value)


def omittable(**constraints: Any) -> Any:
    """A PATCH field: it may be left out (nothing changes), but not sent as null unless its type
    allows None. Typed `Any` so that `name: str = omittable(max_length=200)` type-checks."""
    return Field(None, **constraints)


def _as_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("The instant is outside the supported range of years 1 to 9999.") from None


Instant = Annotated[AwareDatetime, AfterValidator(_as_utc)]
"""An ISO 8601 instant with a UTC offset (`2026-03-02T09:00:00+09:00`), returned in UTC."""


def changes_of(payload: Schema, renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fields a PATCH body actually sent, keyed as the action expects."""
    sent = payload.model_dump(exclude_unset=True)
    renames = renames or {}
    return {renames.get(name, name): value for name, value in sent.items()}


# --- Lists --------------------------------------------------------------------------------------


class QuerySchema(Schema):
    """Query parameters: the same text checks as bodies (a NUL would crash a PostgreSQL query)."""

    model_config = ConfigDict(use_enum_values=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _check_texts(value)


class ListQuery(QuerySchema):
    """Paging parameters; subclasses add filters and `ordering: Literal[...] = default`."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-500).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class Page(Schema, Generic[T]):
    count: int = Field(description="Items matching the filters, on all pages.")
    count_exact: bool = Field(
        True,
        description="False when `count` is a lower bound: a text search (`q`) counts at most "
        f"{SEARCH_COUNT_CAP:,} matches past `offset`.",
    )
    items: list[T]
    limit: int
    offset: int


def check_query_params(request: HttpRequest, *schemas: type[Schema]) -> None:
    """Refuse query parameters no schema declares: a misspelt filter must not silently match all."""
    known: set[str] = set()
    for schema in schemas:
        for name, info in schema.model_fields.items():
            known.add(info.alias or name)
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise ValidationFailed(
            f"Unknown query parameter '{unknown[0]}'; this endpoint accepts: "
            f"{', '.join(sorted(known))}.",
            field=unknown[0],
        )


def search(qs: QuerySet[M], text: str | None, fields: Sequence[str]) -> QuerySet[M]:
    """Case-insensitive substring search over *fields* (any of them matches)."""
    if not text:
        return qs
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return qs.filter(condition)


def order(
    qs: QuerySet[M], ordering: str, aliases: Mapping[str, str | Sequence[str]] | None = None
) -> QuerySet[M]:
    """Order by an allow-listed API name (`name`, `-name`); the primary key breaks ties so pages
    never overlap or skip rows."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    target = (aliases or {}).get(key, key)
    columns = [target] if isinstance(target, str) else list(target)
    prefix = "-" if descending else ""
    return qs.order_by(*(prefix + c for c in columns), f"{prefix}pk")


def page(
    request: HttpRequest,
    qs: QuerySet[M],
    query: ListQuery,
    *,
    aliases: Mapping[str, str | Sequence[str]] | None = None,
    search_rows: Callable[[Sequence[int]], Iterable[models.Model]] | None = None,
) -> dict[str, Any]:
    """Check the query parameters, order and slice *qs*: two queries plus its prefetches.

    With *search_rows* (a text search): the page's ids and a capped count in one query, then
    the rows by id through `search_rows(ids)` (core.paging)."""
    check_query_params(request, type(query))
    ordering = getattr(query, "ordering", None)
    if isinstance(ordering, str):
        qs = order(qs, ordering, aliases)
    if search_rows is not None:
        got = search_slice(qs, search_rows, offset=query.offset, limit=query.limit)
        return {"count": got.count, "count_exact": got.exact, "items": got.items,
                "limit": query.limit, "offset": query.offset}  # fmt: skip
    count = qs.count()
    items = list(qs[query.offset : query.offset + query.limit]) if count > query.offset else []
    return {"count": count, "items": items, "limit": query.limit, "offset": query.offset}


@contextmanager
def api_field_names(names: Mapping[str, str]) -> Iterator[None]:
    """Report an action's error under the request's field name (`calendar` -> `calendar_id`)."""
    try:
        yield
    except OpenMSPError as exc:
        if exc.field is not None and exc.field in names:
            exc.field = names[exc.field]
        raise


# --- Objects named in the path -------------------------------------------------------------------

_PATH_OBJECTS: dict[str, Callable[[Actor, int], object]] = {}


def path_object(param: str, lookup: Callable[[Actor, int], object]) -> None:
    """Register how to fetch the object a path parameter (`client_id`) names, raising NotFound
    when the actor may not see it. The API's validation-error handler asks `hidden_path_object`
    first, so a request about another tenant's object answers 404 even when its body or query
    is invalid too: 404 always wins for objects the actor may not see."""
    _PATH_OBJECTS[param] = lookup


def hidden_path_object(request: HttpRequest) -> NotFound | None:
    actor = getattr(request, "actor", None)
    match = request.resolver_match
    if not isinstance(actor, Actor) or match is None:
        return None
    for name, raw in match.kwargs.items():
        lookup = _PATH_OBJECTS.get(name)
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            continue  # not an id at all: the validation error says so
        if lookup is None or not -MAX_ID <= pk <= MAX_ID:
            continue
        try:
            lookup(actor, pk)
        except NotFound as exc:
            return exc
    return None


# --- Fetching and permissions -------------------------------------------------------------------


def fetch(qs: QuerySet[M], what: str, **lookup: Any) -> M:
    """One object of an already tenant-scoped queryset, or a 404 that says nothing more."""
    try:
        return qs.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"No such {what}.") from None


def fetch_ref(qs: QuerySet[M], what: str, field: str, pk: int | None) -> M | None:
    """An object a request body refers to by id: a 422 naming the field when it is not visible."""
    if pk is None:
        return None
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        raise ValidationFailed(f"No such {what} (id {pk}).", field=field) from None


def fetch_refs(qs: QuerySet[M], what: str, field: str, pks: Iterable[int]) -> list[M]:
    """Objects a request body lists by id, in its order; a 422 naming the first one missing."""
    wanted = list(dict.fromkeys(pks))
    # `pk__in` has no overflow guard (unlike `pk=`): ids beyond 64 bits would crash the query.
    storable = [pk for pk in wanted if isinstance(pk, int) and -MAX_ID <= pk <= MAX_ID]
    found = {obj.pk: obj for obj in qs.filter(pk__in=storable)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationFailed(f"No such {what} (id {missing[0]}).", field=field)
    return [found[pk] for pk in wanted]


def require_to_read(actor: Actor, perm: str, what: str) -> None:
    """Read permission: like `core.actions.require`, but read-only tokens may read."""
    user = actor.user
    if user is not None and not user.has_perm_to(perm):
        raise PermissionDenied(f"Your role does not allow viewing {what}.")
