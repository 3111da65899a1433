"""httpx transports that apply the outbound rule (openmsp.core.netguard) at connect time.

The seam is httpcore's network backend: every TCP connection a client opens, the first one and
every redirect, goes through `connect_tcp(host, port)`. The guard resolves the host once, refuses
the connection if any answer is out of scope, and connects to a vetted address. httpcore still
sends the URL's host name as Host and as TLS SNI (and checks the certificate against it), so
name-based virtual hosts and certificate checks keep working.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._backends.base import SOCKET_OPTION

from openmsp.core import netguard


class OutboundRefused(httpx.ConnectError):
    """A connection the outbound rule refused (an httpx error, so callers report it as one)."""


def _addresses(host: str, infos: Iterable[Any], scope: str) -> list[str]:
    found: dict[str, None] = {}
    for info in infos:
        found.setdefault(str(info[4][0]), None)
    for address in found:
        try:
            netguard.judge(address, scope)
        except netguard.Refused as exc:
            raise OutboundRefused(f"Refused to connect to {host}: {exc}") from None
    return list(found)


class GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host.strip("[]"), port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} could not be resolved: {exc}") from None
        last: Exception | None = None
        for address in _addresses(host, infos, self.scope):
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise OutboundRefused("Unix sockets are not an outbound target.")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host.strip("[]"), port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} could not be resolved: {exc}") from None
        last: Exception | None = None
        for address in _addresses(host, infos, self.scope):
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("Unix sockets are not an outbound target.")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@functools.cache
def tls_context(verify: bool) -> ssl.SSLContext:
    """The TLS settings for `verify`, built once per process and shared.

    httpx builds a new SSLContext for every transport it is given a bool for, which loads the
    whole CA bundle: 20 to 55 ms of CPU on this project's 2-core reference machine, paid by every
    HTTP check run and every webhook, TLS or not (benchmarks.md, "poller profile"). A configured
    context is safe to share between connections and threads; the price is that a changed CA
    bundle (or SSL_CERT_FILE) is read when the process restarts."""
    return httpx.create_ssl_context(verify=verify)


def _shared_tls(kwargs: dict[str, Any]) -> dict[str, Any]:
    verify = kwargs.get("verify", True)
    if isinstance(verify, bool) and "cert" not in kwargs:
        kwargs = {**kwargs, "verify": tls_context(verify)}
    return kwargs


def transport(scope: str, **kwargs: Any) -> httpx.HTTPTransport:
    """An httpx transport (same options as httpx.HTTPTransport) that connects only in *scope*."""
    guarded = httpx.HTTPTransport(**_shared_tls(kwargs))
    guarded._pool._network_backend = GuardedBackend(scope)
    return guarded


def async_transport(scope: str, **kwargs: Any) -> httpx.AsyncHTTPTransport:
    guarded = httpx.AsyncHTTPTransport(**_shared_tls(kwargs))
    guarded._pool._network_backend = AsyncGuardedBackend(scope)
    return guarded
