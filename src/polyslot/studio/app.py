"""The studio's ASGI app (FastAPI) and its server (uvicorn).

:func:`create_app` builds the app over a run's output folder; :func:`serve` runs it. Every
asset is served from the installed package (``polyslot/studio/static`` and plotly's own
``plotly.min.js``): the studio works offline. Errors never show a traceback: unknown pages are
404, anything unexpected is a one-line 500; a body over the limit is 413 before it is read.
The KPI engine is warmed when the app starts (every polyclinic's current and recommended
templates on every open day), so the first editor view only renders.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from polyslot.errors import ConfigError
from polyslot.studio.api_routes import router as api_router
from polyslot.studio.http import MAX_FORM_BYTES, BadRequest, BodyTooLarge
from polyslot.studio.kpi_format import fmt
from polyslot.studio.network_routes import router as network_router
from polyslot.studio.routes import router
from polyslot.studio.run_data import StudioRun
from polyslot.studio.scenario_routes import router as scenario_router
from polyslot.studio.security import (
    AUTO_TOKEN,
    BodyLimit,
    SecurityHeaders,
    TokenGate,
    check_binding,
    is_loopback,
    validate_token,
)
from polyslot.studio.state import StudioState

__all__ = ["create_app", "serve", "static_file", "studio_state"]

log = logging.getLogger("polyslot.studio")
_STATIC = {
    "htmx.min.js": "application/javascript",
    "studio.js": "application/javascript",
    "studio.css": "text/css",
    "plotly.min.js": "application/javascript",
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = (
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def static_file(name: str) -> bytes:
    """Bytes of a vendored asset (plotly.min.js comes from the plotly package)."""
    if name == "plotly.min.js":
        return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
    return resources.files("polyslot.studio").joinpath("static", name).read_bytes()


def studio_state(app: object) -> StudioState:
    """The :class:`StudioState` of an app made by :func:`create_app` (through its middleware)."""
    while not hasattr(app, "state"):
        app = app.app  # type: ignore[attr-defined]
    return app.state.studio


def create_app(
    out_dir: str | Path,
    *,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
    warm: bool = True,
    on_ready: Callable[[float], None] | None = None,
):
    """The studio over ``out_dir`` (a finished ``polyslot run``).

    Parameters
    ----------
    out_dir : path
        The run's output folder.
    token : str, optional
        Access token; every request without it gets 401.
    allowed_hosts : list of str, optional
        ``Host`` names accepted (None: any). :func:`serve` passes the loopback names when it
        binds a loopback address without a token.
    warm : bool
        Compute the KPIs of every polyclinic's run templates when the app starts.
    on_ready : callable, optional
        Called with the seconds the warm-up took, once the app is ready.

    Raises
    ------
    ConfigError
        A token shorter than 16 characters (or ``auto``: pass the token itself).
    """
    if token is not None:
        if token in AUTO_TOKEN:
            raise ConfigError("pass the token itself to create_app", field="token", value=token)
        validate_token(token)
    run = StudioRun(out_dir)
    state = StudioState(run)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        seconds = await run_in_threadpool(state.warm) if warm else 0.0
        log.info("studio: KPI engine warmed in %.2f s", seconds)
        if on_ready is not None:
            on_ready(seconds)
        yield

    app = FastAPI(
        title="polyslot studio", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.studio = state
    templates = Jinja2Templates(directory=str(resources.files("polyslot.studio") / "templates"))
    templates.env.filters["num"] = fmt
    app.state.templates = templates
    app.include_router(scenario_router)  # before the editor's /pc/{pid}/{day}
    app.include_router(api_router)
    app.include_router(network_router)
    app.include_router(router)
    cache: dict[str, bytes] = {}

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in _STATIC:
            return PlainTextResponse("not found\n", status_code=404)
        if name not in cache:
            cache[name] = static_file(name)
        return Response(
            cache[name], media_type=_STATIC[name], headers={"Cache-Control": "max-age=3600"}
        )

    @app.exception_handler(KeyError)
    async def not_found(request: Request, exc: KeyError) -> Response:
        return PlainTextResponse(f"not found: {exc.args[0] if exc.args else ''}\n", 404)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        return PlainTextResponse(f"{exc}\n", 413, headers={"Connection": "close"})

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> Response:
        return PlainTextResponse(f"{exc.field} = {exc.value}: {exc.message}\n", 422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.error("studio error on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        return PlainTextResponse("internal error (the server keeps running)\n", 500)

    gated = TokenGate(app, token, allowed_hosts) if (token or allowed_hosts) else app
    return BodyLimit(SecurityHeaders(gated, _HEADERS), MAX_FORM_BYTES, BodyTooLarge)


def serve(
    out_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    token: str | None = None,
    on_ready: Callable[[float], None] | None = None,
) -> None:
    """Run the studio with uvicorn until interrupted (refuses a public host without token);
    ``on_ready(seconds)`` is called when the KPI engine is warm and the server about to
    listen."""
    import uvicorn

    check_binding(host, token)
    hosts = None
    if is_loopback(host) and not token:
        hosts = ["127.0.0.1", "localhost", "[::1]", "::1"]
    app = create_app(out_dir, token=token, allowed_hosts=hosts, on_ready=on_ready)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
