"""Errors that actions raise and the API/UI layers turn into 4xx answers."""

from __future__ import annotations


class OpenMSPError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(OpenMSPError):
    status_code = 422


class PermissionDenied(OpenMSPError):
    status_code = 403


class NotFound(OpenMSPError):
    """Raised for objects that do not exist *or* that the actor may not see: both answer 404."""

    status_code = 404


class Conflict(OpenMSPError):
    status_code = 409


class RateLimited(OpenMSPError):
    """Too many attempts in the window; `retry_after` seconds until one more is allowed."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts: try again in {retry_after} seconds.")
        self.retry_after = retry_after
