"""What the HTTP-based channels share: a JSON POST through an injectable httpx transport."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from openmsp.core import guarded_http, netguard
from openmsp.integrations.base import (
    DeliveryFailed,
    DeliveryResult,
    Notification,
    Notifier,
    validate_url,
)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "OpenMSP-Notifier/1"


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    transport: httpx.BaseTransport | None,
    *,
    scope: str = netguard.PUBLIC,
) -> DeliveryResult:
    """POST and classify the answer: 2xx delivered; 408/429/5xx and network errors retried;
    any other 4xx refused for good (retrying the same body cannot succeed). Without an injected
    transport, the connection goes only to an address allowed in *scope* (core.netguard)."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    if transport is None:
        transport = guarded_http.transport(scope)
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False) as http:
            response = http.post(url, content=body, headers=sent)
    except guarded_http.OutboundRefused as exc:
        raise DeliveryFailed(str(exc), retryable=False) from None
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    snippet = response.text[:200]
    if response.is_success:
        return DeliveryResult(f"HTTP {response.status_code}")
    retryable = response.status_code in {408, 429} or response.status_code >= 500
    raise DeliveryFailed(f"HTTP {response.status_code}: {snippet}", retryable=retryable)


class WebhookUrlNotifier(Notifier):
    """A channel that POSTs a JSON document to one URL set per channel."""

    url_is_secret: ClassVar[bool] = True  # Slack/Teams URLs are bearer credentials

    @classmethod
    def clean_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        return {"url": validate_url(config.get("url"), field="config.url")}

    @classmethod
    def public_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        if cls.url_is_secret and out.get("url"):
            parts = urlsplit(str(out["url"]))
            out["url"] = f"{parts.scheme}://{parts.hostname}/…"
        return out

    def headers(self, notification: Notification, body: bytes) -> dict[str, str]:
        return {}

    def deliver(self, notification: Notification) -> DeliveryResult:
        body = json.dumps(self.render(notification), ensure_ascii=False).encode()
        return post_json(
            self.config["url"],
            body,
            self.headers(notification, body),
            self.transport,
            scope=self.network_scope,
        )
