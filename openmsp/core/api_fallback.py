"""JSON answers for paths under /api/v1/ that no operation matches (instead of the HTML 404)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(
        {"detail": f"No API operation at {request.path}. See /api/v1/docs for the reference."},
        status=404,
    )
