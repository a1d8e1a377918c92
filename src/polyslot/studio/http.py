"""Request helpers shared by the studio's routes: bounded form reading, rendering, messages.

Forms are URL-encoded (what HTMX sends) and parsed here, so no route can fail on a malformed
body. A body is read as a stream and refused with 413 as soon as it passes
:data:`MAX_FORM_BYTES` (the :class:`~polyslot.studio.security.BodyLimit` middleware refuses a
larger ``Content-Length`` before reading anything).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import Request

from polyslot.errors import InputError
from polyslot.studio.edits import EditError

__all__ = [
    "MAX_FORM_BYTES",
    "BadRequest",
    "BodyTooLarge",
    "read_form",
    "render",
    "state_of",
    "message",
]

#: Largest request body the studio reads (a form of the studio is a few hundred bytes).
MAX_FORM_BYTES = 64_000


class BadRequest(ValueError):
    """A malformed request: shown inline like a rejected edit (422)."""

    def __init__(self, message: str, *, field: str, value: object) -> None:
        self.field, self.value, self.message = field, value, message
        super().__init__(message)


class BodyTooLarge(ValueError):
    """A request body over the limit (413)."""

    def __init__(self, size: int | str, limit: int = MAX_FORM_BYTES) -> None:
        self.size, self.limit = size, limit
        super().__init__(f"body = {size} bytes: larger than the limit of {limit} bytes")


async def read_form(request: Request) -> dict[str, str]:
    """The URL-encoded form of ``request`` (last value of each key), read with a cap."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise BodyTooLarge(f"more than {size}")
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadRequest("not UTF-8 form data", field="body", value="?") from None
    return {k: v[-1] for k, v in parsed.items()}


def render(request: Request, name: str, context: dict[str, Any], status: int = 200):
    """A Jinja2 template response."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def state_of(request: Request):
    """The app's :class:`~polyslot.studio.state.StudioState`."""
    return request.app.state.studio


def message(exc: Exception) -> str:
    """One line naming the field and the value refused (``field = value: what was expected``)."""
    if isinstance(exc, InputError) and exc.field:
        prefix = ": ".join(p for p in (exc.source, f"field {exc.field!r}") if p) + ": "
        text = str(exc)
        return (
            f"{exc.field} = {exc.value}: {text[len(prefix) :] if text.startswith(prefix) else text}"
        )
    if isinstance(exc, BadRequest | EditError):
        return f"{exc.field} = {exc.value}: {exc.message}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
