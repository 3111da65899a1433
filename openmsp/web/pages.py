"""What every HTML page shares: sign-in, the viewer's time zone, domain errors as 404/403.

Views wrap themselves in `@page`; they then receive the request already signed in, render with
times shown in the viewer's own time zone, and may let the actions layer's NotFound and
PermissionDenied escape: they become the 404 and 403 pages, never a 500.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext

from openmsp.core import errors

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    name = getattr(request.user, "time_zone", "") or timezone.get_default_timezone_name()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(timezone.get_default_timezone_name())


def page(
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        with timezone.override(viewer_zone(request)):  # the middleware sets it too; views need it
            try:
                return view(request, *args, **kwargs)
            except errors.NotFound as exc:
                raise Http404(exc.message) from None
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from None

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request wants a fragment, not a whole page (history restores ask for the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def require_perm(request: HttpRequest, perm: str) -> None:
    """Refuse with the 403 page when the signed-in user's role lacks *perm*."""
    if not request.user.has_perm_to(perm):  # type: ignore[union-attr]
        raise DjangoPermissionDenied("Your role does not allow this.")


def apply_error(
    form: Any, exc: errors.OpenMSPError, *, aliases: Mapping[str, str] | None = None
) -> None:
    """Show an action's error next to the field it names, else at the top of the form.

    Actions raise English sentences; those listed in openmsp.web.action_messages are shown in
    the viewer's language."""
    field = (aliases or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, gettext(exc.message))


def htmx_swap(response: HttpResponse, target: str, swap: str = "innerHTML") -> HttpResponse:
    """Tell htmx to put this response somewhere else than the element that asked for it."""
    response["HX-Retarget"] = target
    response["HX-Reswap"] = swap
    return response
