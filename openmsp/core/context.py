"""Per-request facts (request id, client IP) that the audit log records.

Set by RequestContextMiddleware; background jobs and the CLI run with the defaults, which the audit
log shows as an empty IP and a job/CLI request id.
"""

from __future__ import annotations

import contextvars
import uuid

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "openmsp_request_id", default=None
)
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "openmsp_client_ip", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def current_ip() -> str | None:
    return client_ip_var.get()
