"""Safe by default: loopback binding, an access token for any other address, trusted hosts,
and no traceback in any response.

* :func:`check_binding` refuses a non-loopback host without a token.
* :class:`TokenGate` (pure ASGI) answers 401 to every request that does not carry the token as
  ``Authorization: Bearer <token>``, a ``token`` query parameter (the link printed at start-up)
  or the ``polyslot_studio`` cookie it then sets (``HttpOnly``, ``SameSite=Strict``). Tokens are
  compared in constant time.
* Requests whose ``Host`` header is not an allowed name get 400 (DNS-rebinding guard for the
  loopback app that has no token).
* :class:`BodyLimit` answers 413 to a body larger than the limit: at once when its
  ``Content-Length`` says so (nothing is read), else as soon as the streamed body passes it.
* :func:`check_token` refuses tokens shorter than :data:`MIN_TOKEN_LENGTH` characters.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from polyslot.errors import ConfigError

__all__ = [
    "TokenGate",
    "BodyLimit",
    "SecurityHeaders",
    "check_binding",
    "check_token",
    "validate_token",
    "new_token",
    "is_loopback",
    "COOKIE",
    "MIN_TOKEN_LENGTH",
    "AUTO_TOKEN",
]

COOKIE = "polyslot_studio"
#: Shortest access token accepted.
MIN_TOKEN_LENGTH = 16
#: ``--token`` values that make a random token (``random`` is the older spelling).
AUTO_TOKEN = ("auto", "random")
Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


def new_token() -> str:
    """A random URL-safe token (32 bytes of entropy)."""
    return secrets.token_urlsafe(32)


def check_token(token: str | None) -> str | None:
    """The token to use: a new one for ``auto`` (or ``random``), None for none.

    Raises
    ------
    ConfigError
        Naming ``--token`` (the value is not echoed, it is a secret: only its length) when it
        is shorter than :data:`MIN_TOKEN_LENGTH` characters or has characters a URL would
        change.
    """
    if token is None:
        return None
    if token in AUTO_TOKEN:
        return new_token()
    validate_token(token)
    return token


def validate_token(token: str) -> None:
    """Refuse a token shorter than :data:`MIN_TOKEN_LENGTH` or with characters a URL changes
    (ConfigError naming ``--token`` and the token's length, never the token)."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"{len(token)} characters given; must be at least {MIN_TOKEN_LENGTH} "
            "(--token auto makes one)",
            field="--token",
            value=f"{len(token)} characters",
        )
    if not all(c.isalnum() or c in "-._~" for c in token):
        raise ConfigError(
            "has a character other than letters, digits and - . _ ~ (--token auto makes one)",
            field="--token",
            value=f"{len(token)} characters",
        )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token.

    Raises
    ------
    ConfigError
        Naming ``--host`` and the value.
    """
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"{host} is not a loopback address: serving it needs --token (--token auto makes one)",
            field="--host",
            value=host,
        )


async def _plain(send: Callable, status: int, text: str, headers: Iterable = ()) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TokenGate:
    """ASGI middleware: token check and allowed ``Host`` names (see module docstring)."""

    def __init__(self, app: ASGIApp, token: str | None, hosts: Iterable[str] | None) -> None:
        self.app = app
        self.token = token
        self.hosts = None if hosts is None else {h.lower() for h in hosts}

    def _host_ok(self, headers: dict[bytes, bytes]) -> bool:
        if self.hosts is None:
            return True
        host = headers.get(b"host", b"").decode("latin-1").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in self.hosts or host in self.hosts

    def _token_of(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[str | None, bool]:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0], True
        for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value, False
        return None, False

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not self._host_ok(headers):
            await _plain(send, 400, "host not allowed\n")
            return
        if self.token is None:
            await self.app(scope, receive, send)
            return
        given, from_query = self._token_of(scope, headers)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            await _plain(send, 401, "token required\n", [(b"www-authenticate", b"Bearer")])
            return
        if not from_query:
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode()

        async def send_with_cookie(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class BodyLimit:
    """ASGI middleware: 413 for a request body larger than ``limit`` bytes (see module
    docstring). A streamed body over the limit raises ``too_large(size)`` inside the app, whose
    handler answers 413."""

    def __init__(self, app: ASGIApp, limit: int, too_large: Callable[[int], Exception]) -> None:
        self.app = app
        self.limit = limit
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or []).get(b"content-length")
        if raw is not None:
            text = raw.decode("latin-1")
            if not text.isdigit():
                await _plain(send, 400, f"content-length = {text}: must be a whole number\n")
                return
            if int(text) > self.limit:
                await _plain(
                    send,
                    413,
                    f"body = {int(text)} bytes: larger than the limit of {self.limit} bytes\n",
                    [(b"connection", b"close")],
                )
                return
        received = 0

        async def capped() -> dict:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self.too_large(received)
            return message

        await self.app(scope, capped, send)


class SecurityHeaders:
    """ASGI middleware: the given headers on every response (CSP, nosniff, no-referrer)."""

    def __init__(self, app: ASGIApp, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = list(headers)

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
